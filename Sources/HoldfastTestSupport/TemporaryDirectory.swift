// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc

/// A fresh directory under the system temp dir that is removed with everything in it when this
/// object goes away. Paths stay short so Unix socket paths fit in `sun_path`.
public final class TemporaryDirectory: Sendable {
    /// Absolute path, no trailing slash.
    public let path: String

    public init(prefix: String = "holdfast") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw TestSupportError.system("mkdtemp", errno: errno) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `path/name` and returns the full path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let full = file(name)
        // O_CLOEXEC: a child another test spawns at this moment must not inherit the fd, or
        // executing this file (a test script) fails with ETXTBSY for as long as that child lives.
        let fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TestSupportError.system("open \(full)", errno: errno) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                throw TestSupportError.system("write \(full)", errno: errno)
            }
            written += result
        }
        return full
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
