// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc
import NIOCore
import Testing

@testable import HoldfastServer

/// The UDP listener's socket handling and its stall check (what the systemd watchdog asks),
/// on real loopback sockets.
@Suite("UDP listener")
struct UDPListenerTests {
    @Test func portZeroBindsARealPort() throws {
        let listener = try UDPListener(binding: try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        defer { listener.close() }
        let port = try #require(listener.localAddress?.port)
        #expect(port > 0)
    }

    @Test func aQuietSocketIsNeverStalled() throws {
        let listener = try UDPListener(binding: try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        defer { listener.close() }
        #expect(!listener.isStalled())
        #expect(!listener.isStalled())
    }

    /// A listener whose thread does not read (here: never started) leaves datagrams queued:
    /// stalled at the second check, not the first (the datagram may just have arrived).
    @Test func datagramsLeftWaitingAcrossTwoChecksMeanStalled() throws {
        let listener = try UDPListener(binding: try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        defer { listener.close() }
        let port = try #require(listener.localAddress?.port)
        try sendDatagram([1, 2, 3], toLoopbackPort: port)
        #expect(!listener.isStalled())
        #expect(listener.isStalled())
        listener.countBurst()  // the reader made progress since
        #expect(!listener.isStalled())
    }

    @Test func aSecondSocketSharesThePort() throws {
        let first = try UDPListener(binding: try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        defer { first.close() }
        let bound = try #require(first.localAddress)
        let second = try UDPListener(binding: bound)
        defer { second.close() }
        #expect(second.localAddress?.port == bound.port)
    }

    private func sendDatagram(_ bytes: [UInt8], toLoopbackPort port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let sent = bytes.withUnsafeBytes { payload in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, payload.baseAddress, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        try #require(sent == bytes.count)
    }
}
