// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File-system chores around the control socket: the directory, a stale socket from a dead
/// daemon, the mode, and removing only our own socket on shutdown.
enum UnixSocketFile {
    /// Device and inode of a socket file, to recognise our own on shutdown.
    struct Identity: Sendable, Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// `/run/holdfast` of `/run/holdfast/control.sock`; `/` of `/x`; empty for a bare name.
    static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// `mkdir -p` with mode 0755 for the directories it creates: nil when `directory` exists
    /// afterwards, else the directory that could not be made and errno.
    static func createDirectories(_ directory: String) -> (String, Int32)? {
        var info = stat()
        if stat(directory, &info) == 0 { return info.st_mode & S_IFMT == S_IFDIR ? nil : (directory, ENOTDIR) }
        let parent = parentDirectory(of: directory)
        if !parent.isEmpty, parent != directory, let failure = createDirectories(parent) { return failure }
        if mkdir(directory, 0o755) == 0 || errno == EEXIST { return nil }
        return (directory, errno)
    }

    /// Creates the parent directory and clears a stale socket; throws if a live listener is there.
    static func prepare(path: String) throws(ControlServerError) {
        guard path.utf8.count < 108 else { throw ControlServerError(code: .pathTooLong, path: path) }
        let parent = parentDirectory(of: path)
        if !parent.isEmpty, case let (directory, code)? = createDirectories(parent) {
            throw ControlServerError(code: .system, path: path, detail: "cannot create directory \(directory): \(errorText(code))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw ControlServerError(code: .system, path: path, detail: errorText(code))
        }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw ControlServerError(code: .notASocket, path: path) }
        switch probe(path: path) {
        case 0:
            throw ControlServerError(code: .alreadyRunning, path: path)
        case ECONNREFUSED, ENOENT:
            if unlink(path) != 0, errno != ENOENT {
                throw ControlServerError(code: .system, path: path, detail: "cannot remove stale socket: \(errorText(errno))")
            }
        case let code:
            throw ControlServerError(code: .system, path: path, detail: errorText(code))
        }
    }

    /// Connects to the socket at `path` and closes again: 0 if something listens, else the errno.
    static func probe(path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return errno }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }

    /// Sets the socket's permission bits.
    static func setMode(path: String, mode: mode_t) throws(ControlServerError) {
        guard chmod(path, mode) == 0 else {
            throw ControlServerError(code: .system, path: path, detail: "chmod: \(errorText(errno))")
        }
    }

    static func identity(path: String) -> Identity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Removes the socket file if it is still the one we bound (a newer daemon may own the path).
    static func removeIfOurs(path: String, identity: Identity?) {
        guard let identity, self.identity(path: path) == identity else { return }
        unlink(path)
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
