// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func systemErrorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text) + " (errno \(code))"
}

/// Whole-file reads and atomic replacement with plain system calls (no Foundation).
enum SnapshotIO {
    /// Reads the whole file in one buffer.
    static func readAll(_ path: String) throws(SnapshotError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw code == ENOENT ? .missing : .io(operation: "open", path: path, errno: code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .io(operation: "fstat", path: path, errno: errno) }
        let size = Int(info.st_size)
        guard size >= 0, size <= 1 << 34 else { throw .corrupt("file size \(size)") }
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = 0
            guard let base = buffer.baseAddress else { return }
            var filled = 0
            while filled < size {
                let got = read(fd, base + filled, size - filled)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    break
                }
                if got == 0 { break }
                filled += got
            }
            count = filled
        }
        if failure != 0 { throw .io(operation: "read", path: path, errno: failure) }
        return bytes
    }

    /// Writes `bytes` to a temporary file next to `path`, fsyncs it, renames it over `path`
    /// and fsyncs the directory, so a crash leaves either the old or the new file.
    static func replaceAtomically(_ path: String, with bytes: [UInt8]) throws(SnapshotError) {
        let temporary = path + ".tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(operation: "open", path: temporary, errno: errno) }
        var failure: (String, Int32)? = nil
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var written = 0
            while written < buffer.count {
                let result = write(fd, base + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = ("write", errno)
                    return
                }
                written += result
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = ("fsync", errno) }
        if close(fd) != 0, failure == nil { failure = ("close", errno) }
        if failure == nil, rename(temporary, path) != 0 { failure = ("rename", errno) }
        if let (operation, code) = failure {
            unlink(temporary)
            throw .io(operation: operation, path: temporary, errno: code)
        }
        let directory = Self.directory(of: path)
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}
