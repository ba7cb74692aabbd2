// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import Synchronization

/// One child process started with `posix_spawn`: its pid, where its output goes, and its exit
/// status once a dedicated reaper thread has collected it. Optionally the leader of its own
/// process group, so a forking child (nsd) can be stopped as a whole. Signals are never sent
/// after the child was reaped, so a recycled pid is never hit.
public final class ChildProcess: Sendable {
    /// Where a child's stdout or stderr goes.
    public enum Output: Sendable {
        case discard
        case file(String)
        /// Each line (without the newline) is appended; the log closes at end of stream.
        case lines(EventLog<String>)
    }

    public let pid: pid_t
    public let isGroupLeader: Bool
    /// Exactly one element: the exit code (128 + signal number when killed by a signal).
    public let exits: EventLog<Int32>
    private let reaped = ReapedFlag()

    /// Starts `executable` (absolute path) with `arguments` (not including argv[0]).
    /// `inheritedFDs` are handed to the child as fds 3, 4, ... in order (socket activation).
    public init(
        executable: String, arguments: [String], environment: [String: String],
        stdout: Output = .discard, stderr: Output = .discard,
        newProcessGroup: Bool = false, inheritedFDs: [Int32] = []
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        var parentEnds: [(Int32, EventLog<String>)] = []
        var childEnds: [Int32] = []
        defer { for fd in childEnds { close(fd) } }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (target, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .discard:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .lines(let log):
                // A socket pair rather than pipe(): it is created close-on-exec atomically, so a
                // child spawned concurrently by another test never inherits our write end.
                var fds: [Int32] = [-1, -1]
                guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
                    throw TestSupportError.system("socketpair", errno: errno)
                }
                parentEnds.append((fds[0], log))
                childEnds.append(fds[1])
                posix_spawn_file_actions_adddup2(&actions, fds[1], target)
            }
        }
        // Inherited fds: first moved above any target number, then placed at 3, 4, ...
        var highCopies: [Int32] = []
        defer { for fd in highCopies { close(fd) } }
        for (index, fd) in inheritedFDs.enumerated() {
            let high = fcntl(fd, F_DUPFD_CLOEXEC, 100)
            guard high >= 0 else { throw TestSupportError.system("fcntl(F_DUPFD_CLOEXEC)", errno: errno) }
            highCopies.append(high)
            posix_spawn_file_actions_adddup2(&actions, high, Int32(3 + index))
        }
        // Nothing else crosses: NIO opens its sockets without close-on-exec, so a child would
        // otherwise keep e.g. a FakeUpstream's port bound after the test closed it (a "closed"
        // upstream then drops queries silently instead of refusing them).
        _ = closeFromAction?(&actions, Int32(3 + inheritedFDs.count))

        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGHUP, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var spawned: pid_t = 0
        var result = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
        // ETXTBSY: a script a test just wrote is still open for writing in a child another
        // test forked at that moment (it inherits the fd until its exec). Short-lived: retry.
        var attempts = 0
        while result == ETXTBSY && attempts < 50 {
            attempts += 1
            usleep(20_000)
            result = posix_spawn(&spawned, executable, &actions, &attributes, argv, envp)
        }
        guard result == 0 else {
            for (fd, _) in parentEnds { close(fd) }
            throw TestSupportError.system("posix_spawn \(executable)", errno: result)
        }
        pid = spawned
        isGroupLeader = newProcessGroup
        exits = EventLog(label: "exit of \(executable) (\(spawned))")

        // stdout and stderr may feed one log: it closes when the last of its pipes ends, or a
        // line still in the other pipe would be lost to waiters.
        var readers: [ObjectIdentifier: OpenReaders] = [:]
        for (_, log) in parentEnds {
            let counter = readers[ObjectIdentifier(log)] ?? OpenReaders()
            counter.add()
            readers[ObjectIdentifier(log)] = counter
        }
        for (fd, log) in parentEnds {
            Self.startReader(fd: fd, into: log, readers: readers[ObjectIdentifier(log)] ?? OpenReaders())
        }
        let exits = self.exits
        let reaped = self.reaped
        let childPID = pid
        Thread.detachNewThread {
            // Wait without reaping, then reap under the lock that `signal` takes.
            var info = siginfo_t()
            while waitid(P_PID, id_t(childPID), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            var status: Int32 = 0
            reaped.flag.withLock { done in
                while waitpid(childPID, &status, 0) < 0 && errno == EINTR {}
                done = true
            }
            let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            exits.append(code)
            exits.close()
        }
    }

    /// Pipes still feeding one log.
    private final class OpenReaders: Sendable {
        private let remaining = Mutex(0)
        func add() { remaining.withLock { $0 += 1 } }
        /// True for the last pipe to end.
        func finishOne() -> Bool { remaining.withLock { $0 -= 1; return $0 <= 0 } }
    }

    private static func startReader(fd: Int32, into log: EventLog<String>, readers: OpenReaders) {
        Thread.detachNewThread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[0..<count])
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    log.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { log.append(String(decoding: pending, as: UTF8.self)) }
            close(fd)
            if readers.finishOne() { log.close() }
        }
    }

    /// Whether the child has been reaped.
    public var hasExited: Bool { reaped.flag.withLock { $0 } }

    /// Sends `signal` to the child (to its whole group when it leads one) unless it was reaped.
    public func signal(_ signal: Int32) {
        reaped.flag.withLock { done in
            guard !done else { return }
            _ = kill(isGroupLeader ? -pid : pid, signal)
        }
    }

    /// The exit code, waiting up to `timeout`.
    public func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        try await exits.waitFor(timeout: timeout, "exit") { _ in true }
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL; returns the exit code.
    @discardableResult
    public func terminate(grace: Duration = .seconds(5)) async -> Int32 {
        signal(SIGTERM)
        if let code = try? await waitForExit(timeout: grace) { return code }
        signal(SIGKILL)
        return (try? await waitForExit(timeout: .seconds(5))) ?? -1
    }

    deinit {
        signal(SIGKILL)
    }
}

extension ChildProcess {
    /// Runs a program to completion and returns its exit code and output lines.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> (status: Int32, stdout: [String], stderr: [String]) {
        let out = EventLog<String>(label: "stdout of \(executable)")
        let err = EventLog<String>(label: "stderr of \(executable)")
        let child = try ChildProcess(
            executable: executable, arguments: arguments,
            environment: environment ?? ProcessInfo.processInfo.environment,
            stdout: .lines(out), stderr: .lines(err))
        let status: Int32
        do {
            status = try await child.waitForExit(timeout: timeout)
        } catch {
            await child.terminate(grace: .milliseconds(100))
            throw error
        }
        try await out.waitForClose(timeout: .seconds(5))
        try await err.waitForClose(timeout: .seconds(5))
        return (status, out.all, err.all)
    }
}

/// Whether a child was reaped; shared by the process object and its reaper thread (which must
/// not keep the process object alive, or its deinit could never kill a forgotten child).
private final class ReapedFlag: Sendable {
    let flag = Mutex(false)
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module does not
/// import; looked up at run time, nil on an older libc (children then inherit stray fds).
private let closeFromAction: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32)? = {
    guard let handle = dlopen(nil, RTLD_NOW),
          let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
}()
