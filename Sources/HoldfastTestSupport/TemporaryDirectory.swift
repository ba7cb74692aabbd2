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
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        return full
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
