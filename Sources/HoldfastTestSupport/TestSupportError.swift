// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Errors raised by the test fixtures; each names what was being waited for or started.
public enum TestSupportError: Error, CustomStringConvertible, Sendable {
    /// Nothing matching arrived within the bound.
    case timedOut(String)
    /// The stream being waited on ended (process exited, socket closed) before a match.
    case ended(String)
    /// A system call failed.
    case system(String, errno: Int32)
    /// A fixture could not start; carries what it printed.
    case startFailed(String)
    /// A test asked for something a fixture refuses (e.g. a non-loopback server).
    case refused(String)

    public var description: String {
        switch self {
        case .timedOut(let what): return "timed out waiting for \(what)"
        case .ended(let what): return "stream ended before \(what)"
        case .system(let call, let code): return "\(call) failed: errno \(code)"
        case .startFailed(let text): return "start failed: \(text)"
        case .refused(let text): return "refused: \(text)"
        }
    }
}
