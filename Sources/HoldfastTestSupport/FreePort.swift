// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc
import Synchronization

/// A loopback port that was free a moment ago, for the two things that cannot be asked for
/// port 0 and report back: an upstream that must refuse (nothing may listen there) and nsd
/// (whose start retries when the port was taken meanwhile). A daemon under test binds port 0
/// and says what it got (`DaemonProcess.ports`); sockets a test holds bind port 0 themselves
/// (`ListeningSockets`). A port is never handed out twice in one test process.
public enum FreePort {
    private static let handedOut = Mutex(Set<UInt16>())

    /// A port free on 127.0.0.1 for UDP and TCP (bind port 0, read it back, close).
    public static func next() throws -> UInt16 {
        for _ in 0..<64 {
            let udp = try ListeningSockets.bind(type: Int32(SOCK_DGRAM.rawValue), port: 0)
            defer { close(udp) }
            let port = ListeningSockets.localPort(udp)
            guard let tcp = try? ListeningSockets.bind(type: Int32(SOCK_STREAM.rawValue), port: port) else { continue }
            close(tcp)
            let fresh = handedOut.withLock { $0.insert(port).inserted }
            if fresh { return port }
        }
        throw TestSupportError.startFailed("no free loopback port after 64 tries")
    }

    /// A loopback port on which nothing listens (free for UDP and TCP): a "closed" upstream.
    public static func closed() throws -> UInt16 { try next() }
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
