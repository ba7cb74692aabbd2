// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc

/// A minimal DNS client over real loopback sockets, using the DNSWire codec: one query over
/// UDP, several pipelined queries over one TCP connection, or raw bytes for malformed-input
/// tests. Blocking I/O runs on its own thread; every receive is bounded by `timeout`.
public enum DNSClient {
    /// Transport for `query`.
    public enum Transport: Sendable { case udp, tcp }

    /// Builds a query for `name`/`type` (EDNS with `udpPayloadSize` unless nil), sends it, and
    /// returns the decoded answer with the matching ID.
    public static func query(
        _ name: String, _ type: DNSType, to server: LoopbackAddress, over transport: Transport = .udp,
        id: UInt16 = UInt16.random(in: 1...UInt16.max), udpPayloadSize: UInt16? = 1232,
        dnssecOK: Bool = false, recursionDesired: Bool = true, timeout: Duration = .seconds(3)
    ) async throws -> DNSMessage {
        let question = DNSQuestion(name: try DNSName(name), type: type)
        let bytes = DNSMessage.makeQuery(
            id: id, question: question, dnssecOK: dnssecOK, udpPayloadSize: udpPayloadSize,
            recursionDesired: recursionDesired)
        switch transport {
        case .udp:
            guard let reply = try await exchangeUDP(bytes, with: server, timeout: timeout) else {
                throw TestSupportError.timedOut("UDP answer from \(server)")
            }
            return try DNSMessage(parsing: reply)
        case .tcp:
            let replies = try await exchangeTCP([bytes], with: server, timeout: timeout)
            guard let first = replies.first else { throw TestSupportError.timedOut("TCP answer from \(server)") }
            return try DNSMessage(parsing: first)
        }
    }

    /// Sends raw `bytes` over UDP and returns the first datagram that comes back, or nil when
    /// none does within `timeout` (e.g. the server dropped the packet).
    public static func exchangeUDP(
        _ bytes: [UInt8], with server: LoopbackAddress, timeout: Duration = .seconds(3)
    ) async throws -> [UInt8]? {
        try await runBlocking {
            let fd = try connectedSocket(to: server, type: Int32(SOCK_DGRAM.rawValue), timeout: timeout)
            defer { close(fd) }
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard sent == bytes.count else { throw TestSupportError.system("send", errno: errno) }
            var buffer = [UInt8](repeating: 0, count: 65535)
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count >= 0 { return Array(buffer[0..<count]) }
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
                throw TestSupportError.system("recv", errno: errno)
            }
            return nil
        }
    }

    /// Sends each of `messages` from its own UDP socket, back to back so they reach the server
    /// as one burst, then returns what came back on each socket (nil: nothing within `timeout`).
    public static func exchangeUDPBurst(
        _ messages: [[UInt8]], with server: LoopbackAddress, timeout: Duration = .seconds(3)
    ) async throws -> [[UInt8]?] {
        try await runBlocking {
            var sockets: [Int32] = []
            defer { for fd in sockets { close(fd) } }
            for _ in messages {
                sockets.append(try connectedSocket(to: server, type: Int32(SOCK_DGRAM.rawValue), timeout: timeout))
            }
            for (fd, bytes) in zip(sockets, messages) {
                let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                guard sent == bytes.count else { throw TestSupportError.system("send", errno: errno) }
            }
            var buffer = [UInt8](repeating: 0, count: 65535)
            return sockets.map { fd -> [UInt8]? in
                while true {
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count >= 0 { return Array(buffer[0..<count]) }
                    if errno != EINTR { return nil }
                }
            }
        }
    }

    /// Sends every message in `messages` on one TCP connection in a single write (pipelined,
    /// each with its 2-byte length) and returns the replies in arrival order. Stops at
    /// `messages.count` replies, at end of stream or at `timeout`, whichever is first.
    public static func exchangeTCP(
        _ messages: [[UInt8]], with server: LoopbackAddress, timeout: Duration = .seconds(3)
    ) async throws -> [[UInt8]] {
        let connection = try await TCPConnection.open(to: server, timeout: timeout)
        try await connection.send(messages.flatMap(framed))
        var replies: [[UInt8]] = []
        while replies.count < messages.count, let reply = try await connection.receiveMessage() {
            replies.append(reply)
        }
        connection.close()
        return replies
    }

    /// Pipelines `queries` on one TCP connection and decodes the replies, keyed by ID.
    public static func pipelined(
        _ queries: [(name: String, type: DNSType)], to server: LoopbackAddress, timeout: Duration = .seconds(5)
    ) async throws -> [UInt16: DNSMessage] {
        var messages: [[UInt8]] = []
        for (index, query) in queries.enumerated() {
            let question = DNSQuestion(name: try DNSName(query.name), type: query.type)
            messages.append(DNSMessage.makeQuery(id: UInt16(1000 + index), question: question))
        }
        var byID: [UInt16: DNSMessage] = [:]
        for reply in try await exchangeTCP(messages, with: server, timeout: timeout) {
            let message = try DNSMessage(parsing: reply)
            byID[message.header.id] = message
        }
        return byID
    }

    /// `bytes` with the RFC 1035 §4.2.2 two-byte length prefix.
    public static func framed(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
    }

    static func connectedSocket(to server: LoopbackAddress, type: Int32, timeout: Duration) throws -> Int32 {
        try server.withSockaddr { address, length, family in
            let fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw TestSupportError.system("socket", errno: errno) }
            let components = timeout.components
            var value = timeval(
                tv_sec: Int(components.seconds),
                tv_usec: Int(components.attoseconds / 1_000_000_000_000))
            if value.tv_sec == 0 && value.tv_usec == 0 { value.tv_usec = 1000 }
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
            guard connect(fd, address, length) == 0 else {
                let code = errno
                close(fd)
                throw TestSupportError.system("connect to \(server)", errno: code)
            }
            return fd
        }
    }
}
