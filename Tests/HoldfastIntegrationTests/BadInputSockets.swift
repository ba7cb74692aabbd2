// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastTestSupport

/// Raw loopback sockets for the bad-input tests: a UDP client that fires many packets and
/// collects whatever comes back, a TCP client that can misbehave (partial frames, lying
/// lengths, half-close), and /proc readings of the daemon. IPv4 loopback only.
enum BadInputSockets {
    enum Failure: Error, CustomStringConvertible {
        case system(String, Int32)
        var description: String {
            switch self {
            case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Sends `packets` over one UDP socket in batches, reading replies between batches (so
    /// the daemon's receive buffer is not what drops them), then waits `quiet` for stragglers.
    /// Returns every datagram received, in order.
    static func flood(_ packets: [[UInt8]], to port: UInt16, batch: Int = 100, quiet: Duration = .milliseconds(300)) async throws -> [[UInt8]] {
        try await runBlocking {
            let fd = try socketFD(type: SOCK_DGRAM, port: port, receiveTimeout: .milliseconds(20))
            defer { close(fd) }
            var replies: [[UInt8]] = []
            var buffer = [UInt8](repeating: 0, count: 65_535)
            func drain(for window: Duration) {
                let deadline = ContinuousClock.now + window
                while ContinuousClock.now < deadline {
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count >= 0 {
                        replies.append(Array(buffer[0..<count]))
                    } else if errno == ECONNREFUSED {
                        continue
                    }
                }
            }
            for (index, packet) in packets.enumerated() {
                _ = packet.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                if index % batch == batch - 1 { drain(for: .milliseconds(30)) }
            }
            drain(for: quiet)
            return replies
        }
    }

    /// A connected TCP socket to 127.0.0.1:`port`; receives time out after `receiveTimeout`.
    static func connectTCP(port: UInt16, receiveTimeout: Duration = .seconds(3)) async throws -> RawTCP {
        RawTCP(fd: try await runBlocking { try socketFD(type: SOCK_STREAM, port: port, receiveTimeout: receiveTimeout) })
    }

    /// The daemon's resident set size in KiB (VmRSS), nil if it is gone.
    static func residentKiB(pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    /// Open file descriptors of the daemon (sockets included).
    static func openFDs(pid: pid_t) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    fileprivate static func socketFD(type: __socket_type, port: UInt16, receiveTimeout: Duration) throws -> Int32 {
        let fd = socket(AF_INET, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure.system("socket", errno) }
        let components = receiveTimeout.components
        var timeout = timeval(tv_sec: Int(components.seconds), tv_usec: Int(components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure.system("connect 127.0.0.1:\(port)", code)
        }
        return fd
    }
}

/// A TCP client that does what a broken or hostile one would.
final class RawTCP: Sendable {
    let fd: Int32

    fileprivate init(fd: Int32) { self.fd = fd }

    /// Writes `bytes` (no framing added). False if the server already closed.
    @discardableResult
    func write(_ bytes: [UInt8]) async -> Bool {
        let fd = self.fd
        return (try? await runBlocking {
            bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
        }) ?? false
    }

    /// Closes the write side only (half-close).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// One length-prefixed message, nil at end of stream or receive timeout.
    func readMessage() async -> [UInt8]? {
        let fd = self.fd
        return try? await runBlocking {
            guard let prefix = Self.read(fd, 2) else { return nil }
            return Self.read(fd, Int(prefix[0]) << 8 | Int(prefix[1]))
        }
    }

    /// True when the server closes (EOF or reset) before the receive timeout.
    func closedByServer() async -> Bool {
        let fd = self.fd
        return (try? await runBlocking {
            var byte: UInt8 = 0
            while true {
                let count = recv(fd, &byte, 1, 0)
                if count == 0 { return true }
                if count < 0 && errno == EINTR { continue }
                return count < 0 && (errno == ECONNRESET || errno == EPIPE)
            }
        }) ?? false
    }

    private static func read(_ fd: Int32, _ count: Int) -> [UInt8]? {
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

    deinit { close(fd) }
}
