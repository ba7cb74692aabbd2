import Glibc

/// Loopback sockets bound (and, for TCP, listening) by the test, as systemd would for socket
/// activation; hand `fds` to `DaemonProcess.Launch.listenFDs`. Closed on deinit.
public final class ListeningSockets: Sendable {
    /// UDP first, then TCP, both on `port`.
    public let fds: [Int32]
    public let port: UInt16

    /// Binds UDP and TCP on 127.0.0.1 at a free port.
    public init() throws {
        var lastError: any Error = TestSupportError.startFailed("no port")
        for _ in 0..<8 {
            let port = try FreePort.next()
            do {
                let udp = try Self.bind(type: Int32(SOCK_DGRAM.rawValue), port: port)
                do {
                    let tcp = try Self.bind(type: Int32(SOCK_STREAM.rawValue), port: port)
                    guard listen(tcp, 128) == 0 else {
                        close(udp)
                        close(tcp)
                        throw TestSupportError.system("listen", errno: errno)
                    }
                    fds = [udp, tcp]
                    self.port = port
                    return
                } catch {
                    close(udp)
                    throw error
                }
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func bind(type: Int32, port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError.system("socket", errno: errno) }
        var address = sockaddr_in.loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw TestSupportError.system("bind 127.0.0.1:\(port)", errno: code)
        }
        return fd
    }

    public var address: LoopbackAddress { .v4(port) }

    deinit {
        for fd in fds { close(fd) }
    }
}
