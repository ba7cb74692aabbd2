// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc

/// The sd_notify datagram protocol (sd_notify(3)) without libsystemd: owns the target
/// address from `NOTIFY_SOCKET` (a path, or `@name` for an abstract socket) and sends
/// `READY=1`, `STATUS=...`, `WATCHDOG=1`, `STOPPING=1`, `RELOADING=1`. Every call is a no-op
/// when the daemon was not started by systemd (no `NOTIFY_SOCKET`).
public struct SystemdNotifier: Sendable {
    /// The socket address as given (`/run/systemd/notify` or `@name`); nil = disabled.
    public let socketPath: String?

    /// A notifier for `NOTIFY_SOCKET` as found in `environment` (keys to values).
    public init(environment: [String: String]) {
        socketPath = Self.validSocket(environment["NOTIFY_SOCKET"])
    }

    /// A notifier for this process's `NOTIFY_SOCKET`.
    public static func fromProcessEnvironment() -> SystemdNotifier {
        SystemdNotifier(environment: ["NOTIFY_SOCKET": getenv("NOTIFY_SOCKET").map { String(cString: $0) }].compactMapValues { $0 })
    }

    /// Whether messages go anywhere.
    public var isEnabled: Bool { socketPath != nil }

    private static func validSocket(_ value: String?) -> String? {
        guard let value, value.utf8.count >= 2, value.utf8.count < 108 else { return nil }
        guard value.hasPrefix("/") || value.hasPrefix("@") else { return nil }
        return value
    }

    /// READY=1, with an optional STATUS= line.
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// STATUS=`text` (newlines replaced: one line per assignment).
    @discardableResult
    public func status(_ text: String) -> Bool { send(["STATUS=\(text)"]) }

    /// WATCHDOG=1: the serving path is alive.
    @discardableResult
    public func watchdog() -> Bool { send(["WATCHDOG=1"]) }

    /// STOPPING=1: shutdown has begun.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        send(["STOPPING=1"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// RELOADING=1 with MONOTONIC_USEC (as Type=notify-reload requires); follow with `ready()`.
    @discardableResult
    public func reloading(status: String? = nil) -> Bool {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())"] + (status.map { ["STATUS=\($0)"] } ?? []))
    }

    /// Sends `assignments` (each `KEY=value`) in one datagram; false if disabled or it failed.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        guard let socketPath else { return false }
        let text = assignments.map { $0.replacingNewlines() }.joined(separator: "\n")
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in pathBytes.enumerated() where index < buffer.count { buffer[index] = byte }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path) ?? 2
        // Abstract names are exactly their bytes; paths include the terminating NUL.
        let length = socklen_t(pathOffset + pathBytes.count + (abstract ? 0 : 1))
        let bytes = Array(text.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        return sent == bytes.count
    }

    /// CLOCK_MONOTONIC in microseconds.
    public static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }

    /// How often to send WATCHDOG=1: half of `WATCHDOG_USEC`, or nil when the watchdog is
    /// off or meant for another process (`WATCHDOG_PID` set to a different pid).
    public static func watchdogInterval(environment: [String: String], pid: Int32 = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let watchdogPID = Int32(pidText), watchdogPID == pid else { return nil }
        }
        return .microseconds(Int64(clamping: usec / 2))
    }

    /// `watchdogInterval` for this process's environment.
    public static func watchdogIntervalFromProcessEnvironment() -> Duration? {
        var environment: [String: String] = [:]
        for key in ["WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(key) { environment[key] = String(cString: value) }
        }
        return watchdogInterval(environment: environment)
    }
}

extension String {
    fileprivate func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
