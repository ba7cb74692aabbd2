// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// Running `holdfastd` as root without systemd: `server.user` switches every thread to that
/// account after binding (and it keeps answering); a config file others could rewrite is
/// refused before anything starts.
@Suite("Privileges when started as root", .enabled(if: geteuid() == 0, "needs root to start the daemon as root (CI runs as root)"))
struct PrivilegeTests {
    /// (uid, gid) of `name` from the password database.
    static func ids(of name: String) throws -> (uid: UInt32, gid: UInt32) {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 16_384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else {
            throw TestSupportError.startFailed("no user \(name) on this machine")
        }
        return (entry.pw_uid, entry.pw_gid)
    }

    /// For each thread of `pid`: the `Uid:`, `Gid:`, `Groups:` and `CapEff:` lines of its status.
    static func threadCredentials(pid: pid_t) throws -> [[String: String]] {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        return try tasks.map { task in
            let text = try String(contentsOfFile: "/proc/\(pid)/task/\(task)/status", encoding: .utf8)
            var fields: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = String(line[..<colon])
                guard ["Uid", "Gid", "Groups", "CapEff"].contains(key) else { continue }
                fields[key] = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
            }
            return fields
        }
    }

    static func owner(of path: String) -> (uid: UInt32, gid: UInt32)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (info.st_uid, info.st_gid)
    }

    @Test func dropsEveryThreadToTheConfiguredUserAndKeepsServing() async throws {
        let nobody = try Self.ids(of: "nobody")
        // The daemon's files live here; `nobody` may pass through (not list) it, as it would
        // through /var/lib. The cache goes into a directory the daemon must create for it.
        let directory = try TemporaryDirectory(prefix: "holdfast-priv")
        #expect(chmod(directory.path, 0o711) == 0)
        let stateDirectory = directory.file("state")
        var config = DaemonConfig(upstreams: [.v4(try FreePort.closed())])
        config.user = "nobody"
        config.localRecords = [.init("dropped.test", "A", "127.0.0.42")]
        let text = config.render(port: 0, directory: directory.path)
            .replacingOccurrences(of: "persist_path = \"\"", with: "persist_path = \"\(stateDirectory)/cache.bin\"")
        let daemon = try DaemonProcess.launchProcess(configText: text, directory: directory)
        // READY=1 is not the signal here: the test's notify socket is root's (mode 0755), so
        // the dropped daemon cannot send to it; under systemd /run/systemd/notify is open to all.
        try await daemon.waitForLog(containing: "dropped root privileges", timeout: .seconds(20))
        try await daemon.waitForReadyLine(timeout: .seconds(10))

        let answer = try await Dig.query("dropped.test", "A", server: daemon.address)
        #expect(answer.status == "NOERROR", "\(answer)")
        #expect(answer.answerData("A") == ["127.0.0.42"], "\(answer)")
        // TCP too: accepting must not need a privilege the dropped daemon lacks (TCP_NODELAY
        // was once set at SOL_SOCKET, i.e. SO_DEBUG, and every unprivileged accept was reset).
        let overTCP = try await Dig.query("dropped.test", "A", server: daemon.address, options: .init(tcp: true))
        #expect(overTCP.status == "NOERROR", "\(overTCP)")
        #expect(overTCP.answerData("A") == ["127.0.0.42"], "\(overTCP)")

        let threads = try Self.threadCredentials(pid: daemon.process.pid)
        #expect(threads.count > 1)
        for thread in threads {
            #expect(thread["Uid"] == Array(repeating: "\(nobody.uid)", count: 4).joined(separator: " "), "\(thread)")
            #expect(thread["Gid"] == Array(repeating: "\(nobody.gid)", count: 4).joined(separator: " "), "\(thread)")
            #expect(thread["Groups"]?.split(separator: " ").contains("0") == false, "root group kept: \(thread)")
            #expect(thread["CapEff"].map { Set($0) == ["0"] } == true, "capabilities kept: \(thread)")
        }
        #expect(Self.owner(of: stateDirectory).map { $0.uid == nobody.uid && $0.gid == nobody.gid } == true)

        #expect(await daemon.stop() == 0, "\(daemon.stderr.all.suffix(10))")
        #expect(Self.owner(of: stateDirectory + "/cache.bin")?.uid == nobody.uid, "\(daemon.stderr.all.suffix(10))")
    }

    @Test func unknownUserStopsTheDaemonWithExitTwo() async throws {
        let directory = try TemporaryDirectory(prefix: "holdfast-priv")
        var config = DaemonConfig(upstreams: [.v4(try FreePort.closed())])
        config.user = "holdfast-no-such-user"
        let path = try directory.write("holdfast.toml", config.render(port: 0, directory: directory.path))
        let run = try await DaemonProcess.run(["--config", path], timeout: .seconds(15))
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains { $0.contains("no such user \"holdfast-no-such-user\"") }, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("control.sock")))
    }

    /// (what is unsafe, config file mode, its directory's mode, whether root must refuse)
    static let modeCases: [(String, mode_t, mode_t, Bool)] = [
        ("world-writable file", 0o666, 0o755, true),
        ("world-writable directory", 0o644, 0o777, true),
        ("world-writable sticky directory", 0o644, 0o1777, false),
        ("group-writable file", 0o664, 0o755, false),
    ]

    @Test("Root refuses a config file others can rewrite", arguments: 0..<modeCases.count)
    func worldWritableConfig(index: Int) async throws {
        let (what, fileMode, directoryMode, refused) = Self.modeCases[index]
        let directory = try TemporaryDirectory(prefix: "holdfast-perm")
        let config = DaemonConfig(upstreams: [.v4(try FreePort.closed())])
        let path = try directory.write("holdfast.toml", config.render(port: 0, directory: directory.path))
        #expect(chmod(path, fileMode) == 0 && chmod(directory.path, directoryMode) == 0)
        if refused {
            let run = try await DaemonProcess.run(["--config", path], timeout: .seconds(15))
            let lines = run.stderr.filter { !$0.isEmpty }
            #expect(run.status == 2, "\(what): \(lines)")
            #expect(lines.count == 1, "\(what): \(lines)")
            #expect(lines.first?.contains("refusing to run as root") == true, "\(what): \(lines)")
            #expect(lines.first?.contains(path) == true, "\(what): \(lines)")
        } else {
            // DaemonProcess.start rewrites the file in place (O_TRUNC keeps the mode).
            let daemon = try await DaemonProcess.start(config, directory: directory)
            #expect(!daemon.process.hasExited, "\(what): \(daemon.stderr.all.suffix(10))")
            await daemon.stop()
        }
    }
}
