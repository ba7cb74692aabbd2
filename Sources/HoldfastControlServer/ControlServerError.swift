// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Why the control server could not start. `description` is the one line the daemon logs.
public struct ControlServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of start-up failure.
    public enum Code: Sendable, Equatable {
        /// A live process already accepts connections on the socket path.
        case alreadyRunning
        /// Something other than a socket is at the path; it is left alone.
        case notASocket
        /// The path is longer than a Unix socket address can hold.
        case pathTooLong
        /// A system call failed (creating the directory, binding, chmod, ...).
        case system
    }

    public var code: Code
    /// The socket path or listen address concerned.
    public var path: String
    /// Extra detail, e.g. the system error text.
    public var detail: String

    public init(code: Code, path: String, detail: String = "") {
        self.code = code
        self.path = path
        self.detail = detail
    }

    public var description: String {
        switch code {
        case .alreadyRunning: "another holdfastd is running on \(path)"
        case .notASocket: "\(path) exists and is not a socket; refusing to replace it"
        case .pathTooLong: "control socket path is too long (at most 107 bytes): \(path)"
        case .system: "control socket \(path): \(detail)"
        }
    }
}
