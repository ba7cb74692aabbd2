// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import FoundationEssentials
import HoldfastConfig
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Refuses a config file that other local users could rewrite while the daemon runs as root:
/// the file itself world-writable, or any directory on its (symlink-resolved) path
/// world-writable without the sticky bit (anyone could rename the file away and plant another).
public enum ConfigFileSafety {
    /// A one-line error naming the file when the process runs as root and the config file is
    /// unsafe; nil when it is safe or the process is not root.
    public static func check(path: String) -> String? {
        guard geteuid() == 0 else { return nil }
        return problem(path: path)
    }

    /// The same check regardless of who runs it (for tests).
    public static func problem(path: String) -> String? {
        let real = resolved(path)
        var info = stat()
        guard stat(real, &info) == 0 else { return nil }  // loading already reported a missing file
        if info.st_mode & S_IWOTH != 0 {
            return "refusing to run as root: config file \(path) is world-writable (mode \(octal(info.st_mode))); "
                + "fix it with `chmod o-w \(real)`"
        }
        var directory = parent(of: real)
        for _ in 0..<256 {
            guard stat(directory, &info) == 0 else { return nil }
            if info.st_mode & S_IWOTH != 0 && info.st_mode & S_ISVTX == 0 {
                return "refusing to run as root: directory \(directory) holding config file \(path) is world-writable "
                    + "without the sticky bit (mode \(octal(info.st_mode))); fix it with `chmod o-w \(directory)`"
            }
            if directory == "/" { break }
            directory = parent(of: directory)
        }
        return nil
    }

    private static func resolved(_ path: String) -> String {
        guard let pointer = realpath(path, nil) else { return path }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = String(path[..<slash])
        return head.isEmpty ? "/" : head
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode & 0o7777, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Switching a root process to an unprivileged account for good: owns the account lookup
/// (getpwnam_r), the id change (initgroups, setgid, setuid — glibc applies them to every
/// thread) and the check that root cannot be regained.
public enum PrivilegeDrop {
    /// A user account from the password database.
    public struct Account: Sendable, Equatable {
        public let name: String
        public let uid: uid_t
        public let gid: gid_t
    }

    /// Why the switch failed.
    public enum Failure: Error, CustomStringConvertible {
        case unknownUser(String)
        case lookup(String, errno: Int32)
        case system(String, errno: Int32)
        case regainedRoot
        case threadsKeptIDs([String])

        public var description: String {
            switch self {
            case .unknownUser(let name): return "server.user: no such user \"\(name)\""
            case .lookup(let name, let code): return "server.user: cannot look up \"\(name)\": \(String(cString: strerror(code)))"
            case .system(let call, let code): return "\(call) failed: \(String(cString: strerror(code)))"
            case .regainedRoot: return "could regain root after dropping privileges"
            case .threadsKeptIDs(let threads): return "threads \(threads.joined(separator: ", ")) kept their user id"
            }
        }
    }

    /// The account called `name`.
    public static func lookup(_ name: String) throws(Failure) -> Account {
        var size = max(1024, sysconf(Int32(_SC_GETPW_R_SIZE_MAX)))
        for _ in 0..<8 {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>? = nil
            var buffer = [CChar](repeating: 0, count: size)
            let code = getpwnam_r(name, &entry, &buffer, buffer.count, &result)
            if code == ERANGE {
                size *= 4
                continue
            }
            guard code == 0 else { throw .lookup(name, errno: code) }
            guard result != nil else { throw .unknownUser(name) }
            return Account(name: name, uid: entry.pw_uid, gid: entry.pw_gid)
        }
        throw .lookup(name, errno: ERANGE)
    }

    /// Looks up `name` and switches the whole process to it (see `drop(to:)`).
    @discardableResult
    public static func drop(toUser name: String) throws(Failure) -> Account {
        let account = try lookup(name)
        try drop(to: account)
        return account
    }

    /// Sets the supplementary groups to the account's, then the real, effective and saved
    /// group and user ids; verifies the ids took on every thread (/proc/self/task) and that
    /// setuid(0)/setgid(0) now fail.
    public static func drop(to account: Account) throws(Failure) {
        guard initgroups(account.name, account.gid) == 0 else { throw .system("initgroups(\(account.name))", errno: errno) }
        guard setgid(account.gid) == 0 else { throw .system("setgid(\(account.gid))", errno: errno) }
        guard setuid(account.uid) == 0 else { throw .system("setuid(\(account.uid))", errno: errno) }
        guard getuid() == account.uid, geteuid() == account.uid, getgid() == account.gid, getegid() == account.gid else {
            throw .system("verifying the new ids", errno: EPERM)
        }
        if account.uid != 0 && (setuid(0) == 0 || seteuid(0) == 0) { throw .regainedRoot }
        if account.gid != 0 && (setgid(0) == 0 || setegid(0) == 0) { throw .regainedRoot }
        let stragglers = threads(notRunningAs: account.uid)
        guard stragglers.isEmpty else { throw .threadsKeptIDs(stragglers) }
    }

    /// Ids of this process's threads whose real, effective, saved or filesystem uid is not
    /// `uid` (credentials are per thread on Linux; glibc changes them on every thread it
    /// knows, but skips one that has called pthread_exit). Empty when /proc is unreadable.
    public static func threads(notRunningAs uid: uid_t) -> [String] {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return [] }
        return tasks.filter { task in
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") })
            else { return false }
            return line.dropFirst(4).split(whereSeparator: { $0 == " " || $0 == "\t" }).contains { $0 != "\(uid)" }
        }.sorted()
    }
}

extension Daemon {
    /// `server.user` for a daemon started as root, called once after the listeners are bound
    /// and the control socket is listening, before READY. Returns nil to carry on, or the exit
    /// status to stop with (the reason is already logged and printed; the caller closes the
    /// control socket and listeners).
    ///
    /// Before switching it hands the user what it needs: the control socket file (chowned to
    /// the user and its group, mode unchanged, so the group may use holdfastctl) and the
    /// directory of `cache.persist_path` when it does not exist yet (created 0750, owned by
    /// the user). An existing directory is never chowned (it might be shared); if the user
    /// cannot write it, or cannot read the config file (reloads), a warning says so.
    /// Not root: the setting is ignored (with a warning unless already running as that user).
    func applyPrivilegeSettings(_ config: HoldfastConfiguration) -> Int32? {
        let name = config.server.user
        guard !name.isEmpty else { return nil }
        let account: PrivilegeDrop.Account
        do {
            account = try PrivilegeDrop.lookup(name)
        } catch {
            return privilegeFailure(config, error.description, status: ExitStatus.configError)
        }
        guard geteuid() == 0 else {
            if account.uid != geteuid() {
                logger.warning("server.user ignored: not running as root", metadata: ["user": "\(name)", "uid": "\(geteuid())"])
            }
            return nil
        }
        guard account.uid != 0 else {
            logger.warning("server.user names a root account; keeping root", metadata: ["user": "\(name)"])
            return nil
        }
        handOverFiles(config, to: account)
        do {
            try PrivilegeDrop.drop(to: account)
        } catch {
            return privilegeFailure(config, "cannot switch to user \(name): \(error)", status: ExitStatus.runtimeFailure)
        }
        logger.notice("dropped root privileges", metadata: ["user": "\(name)", "uid": "\(account.uid)", "gid": "\(account.gid)"])
        warnAboutAccess(config, user: name)
        return nil
    }

    private func privilegeFailure(_ config: HoldfastConfiguration, _ message: String, status: Int32) -> Int32 {
        logger.critical("cannot drop privileges", metadata: ["error": "\(message)"])
        printError("holdfastd: \(message)")
        return status
    }

    private func handOverFiles(_ config: HoldfastConfiguration, to account: PrivilegeDrop.Account) {
        if chown(config.control.socket, account.uid, account.gid) != 0 {
            logger.warning("cannot chown the control socket", metadata: ["socket": "\(config.control.socket)", "error": "\(String(cString: strerror(errno)))"])
        }
        let persistPath = config.cache.persistPath
        guard !persistPath.isEmpty else { return }
        let directory = ConfigFileSafety.parent(of: persistPath)
        guard !FileManager.default.fileExists(atPath: directory) else { return }
        let above = ConfigFileSafety.parent(of: directory)
        try? FileManager.default.createDirectory(atPath: above, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        guard mkdir(directory, 0o750) == 0, chown(directory, account.uid, account.gid) == 0 else {
            logger.warning("cannot create the cache directory", metadata: ["directory": "\(directory)", "error": "\(String(cString: strerror(errno)))"])
            return
        }
        logger.info("created the cache directory", metadata: ["directory": "\(directory)", "owner": "\(account.name)"])
    }

    private func warnAboutAccess(_ config: HoldfastConfiguration, user: String) {
        let persistPath = config.cache.persistPath
        if !persistPath.isEmpty {
            let directory = ConfigFileSafety.parent(of: persistPath)
            if access(directory, W_OK | X_OK) != 0 {
                logger.warning("the cache will not be persisted: its directory is not writable by server.user", metadata: [
                    "directory": "\(directory)", "user": "\(user)", "fix": "chown \(user) \(directory)",
                ])
            }
        }
        if access(configPath, R_OK) != 0 {
            logger.warning("reloads will fail: the config file is not readable by server.user", metadata: ["path": "\(configPath)", "user": "\(user)"])
        }
        if config.server.listen.contains(where: { ($0.port) < 1024 }) {
            logger.info("after dropping privileges, moving server.listen to another port below 1024 needs a restart")
        }
    }
}
