import Glibc
import Synchronization

/// Hands out loopback ports that were free for both UDP and TCP a moment ago. A port is never
/// handed out twice in one test process, so parallel tests in the process do not collide.
public enum FreePort {
    private static let handedOut = Mutex(Set<UInt16>())

    /// A port free on 127.0.0.1 for UDP and TCP (bind port 0, read it back, close, reuse).
    public static func next() throws -> UInt16 {
        for _ in 0..<64 {
            let udp = try bound(type: Int32(SOCK_DGRAM.rawValue), port: 0)
            defer { close(udp.fd) }
            guard let tcp = try? bound(type: Int32(SOCK_STREAM.rawValue), port: udp.port) else { continue }
            close(tcp.fd)
            let fresh = handedOut.withLock { $0.insert(udp.port).inserted }
            if fresh { return udp.port }
        }
        throw TestSupportError.startFailed("no free loopback port after 64 tries")
    }

    /// A loopback port on which nothing listens (free for UDP and TCP): a "closed" upstream.
    public static func closed() throws -> UInt16 { try next() }

    private static func bound(type: Int32, port: UInt16) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError.system("socket", errno: errno) }
        var address = sockaddr_in.loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw TestSupportError.system("bind", errno: code)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: actual.sin_port))
    }
}

extension sockaddr_in {
    /// 127.0.0.1:`port`.
    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
