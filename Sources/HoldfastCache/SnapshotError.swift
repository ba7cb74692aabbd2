// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Why a cache snapshot file could not be read or written. `.missing` is normal (first start);
/// everything else means "log a warning, start with an empty cache".
public enum SnapshotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file at the path.
    case missing
    /// A system call failed (`operation` on the path, with errno).
    case io(operation: String, path: String, errno: Int32)
    /// The file does not start with the snapshot magic: not ours.
    case foreign
    /// A snapshot format this build does not read.
    case unsupportedVersion(UInt32)
    /// Shorter than its header says.
    case truncated(expected: Int, actual: Int)
    /// The payload checksum does not match.
    case checksumMismatch
    /// The header or an entry is inconsistent (checksum fine: a foreign or buggy writer).
    case corrupt(String)

    public var description: String {
        switch self {
        case .missing: return "no cache snapshot file"
        case .io(let operation, let path, let code): return "\(operation) \(path): \(systemErrorText(code))"
        case .foreign: return "not a Holdfast cache snapshot (bad magic)"
        case .unsupportedVersion(let version): return "unsupported cache snapshot version \(version)"
        case .truncated(let expected, let actual): return "truncated cache snapshot: \(actual) of \(expected) bytes"
        case .checksumMismatch: return "cache snapshot checksum mismatch"
        case .corrupt(let reason): return "corrupt cache snapshot: \(reason)"
        }
    }
}
