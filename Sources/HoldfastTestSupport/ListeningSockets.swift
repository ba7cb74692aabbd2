// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc

/// Loopback sockets bound (and, for TCP, listening) by the test, as systemd would for socket
/// activation; hand `fds` to `DaemonProcess.Launch.listenFDs`. Closed on deinit.
public final class ListeningSockets: Sendable {
    /// UDP first, then TCP, both on `port`.
    public let fds: [Int32]
    public let port: UInt16

    /// Binds UDP on 127.0.0.1 at port 0 (the kernel picks), then TCP at the port UDP got;
    /// another UDP port when that one is taken for TCP. Nothing is given up in between.
    public init() throws {
        var lastError: any Error = TestSupportError.startFailed("no port")
        for _ in 0..<16 {
            let udp = try Self.bind(type: Int32(SOCK_DGRAM.rawValue), port: 0)
            let port = Self.localPort(udp)
            do {
                let tcp = try Self.bind(type: Int32(SOCK_STREAM.rawValue), port: port)
                guard listen(tcp, 128) == 0 else {
                    let code = errno
                    close(udp)
                    close(tcp)
                    throw TestSupportError.system("listen", errno: code)
                }
                fds = [udp, tcp]
                self.port = port
                return
            } catch {
                close(udp)
                lastError = error
            }
        }
        throw lastError
    }

    static func bind(type: Int32, port: UInt16) throws -> Int32 {
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

    /// The port `fd` is bound to.
    static func localPort(_ fd: Int32) -> UInt16 {
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: actual.sin_port)
    }

    public var address: LoopbackAddress { .v4(port) }

    deinit {
        for fd in fds { close(fd) }
    }
}
