// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import Synchronization

/// One sd_notify datagram received: when it arrived and its `KEY=value` assignments.
public struct NotifyMessage: Sendable, CustomStringConvertible {
    public let receivedAt: ContinuousClock.Instant
    /// Assignments in order as sent (a datagram may carry several, one per line).
    public let assignments: [(key: String, value: String)]

    public subscript(key: String) -> String? {
        assignments.last { $0.key == key }?.value
    }

    public var isReady: Bool { self["READY"] == "1" }
    public var isWatchdog: Bool { self["WATCHDOG"] == "1" }
    public var isStopping: Bool { self["STOPPING"] == "1" }
    public var isReloading: Bool { self["RELOADING"] == "1" }
    public var status: String? { self["STATUS"] }

    public var description: String { assignments.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
}

/// The systemd side of sd_notify: a Unix datagram socket in a temp directory, to be set as
/// `NOTIFY_SOCKET` for a child, recording every message it receives (awaitable).
public final class NotifySocket: Sendable {
    public let path: String
    public let messages = EventLog<NotifyMessage>(label: "sd_notify messages")
    private let fd: Int32
    private let stopped = StopFlag()

    /// Binds `path` (which must not exist yet; at most 107 bytes).
    public init(path: String) throws {
        guard path.utf8.count < 108 else { throw TestSupportError.refused("socket path too long: \(path)") }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError.system("socket(AF_UNIX)", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() { buffer[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TestSupportError.system("bind \(path)", errno: code)
        }
        self.path = path
        self.fd = fd
        let messages = self.messages
        let stopped = self.stopped
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stopped.isSet {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                // Bounded wait so `close()` is noticed; data wakes the poll at once.
                guard poll(&poller, 1, 100) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                guard count > 0 else { continue }
                let text = String(decoding: buffer[0..<count], as: UTF8.self)
                let assignments = text.split(separator: "\n").compactMap { line -> (key: String, value: String)? in
                    guard let equals = line.firstIndex(of: "=") else { return nil }
                    return (String(line[..<equals]), String(line[line.index(after: equals)...]))
                }
                messages.append(NotifyMessage(receivedAt: .now, assignments: assignments))
            }
            Glibc.close(fd)
            messages.close()
        }
    }

    /// Stops receiving and closes the socket (pending waiters fail).
    public func close() { stopped.set() }

    deinit { stopped.set() }
}

/// A one-way flag shared with a background thread.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
