// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import Synchronization

/// One client TCP connection to a loopback DNS server, for tests that need control over
/// framing: partial writes, pipelining, idle connections. Reads are bounded by the timeout
/// given at `open`.
public final class TCPConnection: Sendable {
    private let fd: Mutex<Int32>

    private init(fd: Int32) { self.fd = Mutex(fd) }

    /// Connects to `server`; every later receive waits at most `timeout`.
    public static func open(to server: LoopbackAddress, timeout: Duration = .seconds(3)) async throws -> TCPConnection {
        let fd = try await runBlocking {
            try DNSClient.connectedSocket(to: server, type: Int32(SOCK_STREAM.rawValue), timeout: timeout)
        }
        return TCPConnection(fd: fd)
    }

    private var descriptor: Int32 { fd.withLock { $0 } }

    /// Writes all of `bytes` (already framed if they are DNS messages).
    public func send(_ bytes: [UInt8]) async throws {
        let fd = descriptor
        try await runBlocking {
            var offset = 0
            while offset < bytes.count {
                let sent = bytes.withUnsafeBytes {
                    Glibc.send(fd, $0.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
                }
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { throw TestSupportError.system("send", errno: errno) }
                offset += sent
            }
        }
    }

    /// Reads one length-prefixed message; nil at end of stream or timeout.
    public func receiveMessage() async throws -> [UInt8]? {
        let fd = descriptor
        return try await runBlocking {
            guard let prefix = Self.readExactly(fd, 2) else { return nil }
            let length = Int(prefix[0]) << 8 | Int(prefix[1])
            return Self.readExactly(fd, length)
        }
    }

    /// Whether the server closed the connection (end of stream) within the receive timeout.
    public func waitForClose() async throws -> Bool {
        let fd = descriptor
        return try await runBlocking {
            var byte: UInt8 = 0
            while true {
                let count = recv(fd, &byte, 1, 0)
                if count == 0 { return true }
                if count < 0 && errno == EINTR { continue }
                if count < 0 && errno == ECONNRESET { return true }
                if count < 0 { return false }
            }
        }
    }

    private static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress.map { $0 + offset }, count - offset, 0) }
            if received < 0 && errno == EINTR { continue }
            guard received > 0 else { return nil }
            offset += received
        }
        return buffer
    }

    /// Closes the connection (idempotent).
    public func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit { close() }
}
