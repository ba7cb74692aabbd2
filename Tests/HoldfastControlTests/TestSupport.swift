// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastControlServer
import HoldfastCtl

/// A fresh short directory under /tmp (Unix socket paths are limited to 107 bytes).
func makeTempDirectory() throws -> String {
    let path = "/tmp/hfctl-" + UUID().uuidString.prefix(12).lowercased()
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
}

/// A started server on a temp socket with a fake backend; `stop()` shuts it down and cleans up.
struct RunningServer {
    let server: ControlServer
    let backend: FakeBackend
    let directory: String
    let socketPath: String

    static func start(
        backend: FakeBackend = FakeBackend(), socketName: String = "run/holdfast/control.sock",
        configure: (inout ControlServer.Configuration) -> Void = { _ in }
    ) async throws -> RunningServer {
        let directory = try makeTempDirectory()
        let path = directory + "/" + socketName
        var configuration = ControlServer.Configuration(socketPath: path)
        configure(&configuration)
        let server = ControlServer(configuration: configuration, backend: backend)
        try await server.start()
        return RunningServer(server: server, backend: backend, directory: directory, socketPath: path)
    }

    func stop() async {
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A raw stream socket for requests no polite client would send. Every read is bounded by a
/// receive timeout so a test can never hang.
// @unchecked Sendable: only an fd; each test uses a connection from one task at a time.
final class RawConnection: @unchecked Sendable {
    let fd: Int32

    init(unixPath path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let result = withUnixAddress(path) { connect(fd, $0, $1) }
        try finish(result)
    }

    init(loopbackPort port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try finish(result)
    }

    private func finish(_ result: Int32) throws {
        guard result == 0 else {
            let code = errno  // deinit closes fd
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// The index of the first connection the peer closes (EOF) within `limit`, nil if none does.
    static func firstClosed(of connections: [RawConnection], within limit: Duration) -> Int? {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var descriptors = connections.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        while clock.now < deadline {
            let left = deadline - clock.now
            let milliseconds = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&descriptors, nfds_t(descriptors.count), max(1, milliseconds)) > 0 else { continue }
            for (index, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                var byte: UInt8 = 0
                if read(descriptor.fd, &byte, 1) <= 0 { return index }
            }
        }
        return nil
    }

    /// `readToEnd()` off the cooperative thread pool.
    func readAll() async -> String {
        (try? await offPool { self.readToEnd() }) ?? ""
    }

    /// Reads until the peer closes (or the 10 s receive timeout); returns what arrived.
    func readToEnd() -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<10_000 {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            data += buffer[..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Runs `body` against a started server and always shuts it down afterwards.
func withServer(
    backend: FakeBackend = FakeBackend(),
    configure: (inout ControlServer.Configuration) -> Void = { _ in },
    _ body: (RunningServer) async throws -> Void
) async throws {
    let running = try await RunningServer.start(backend: backend, configure: configure)
    do {
        try await body(running)
    } catch {
        await running.stop()
        throw error
    }
    await running.stop()
}

/// Runs blocking socket I/O on a Dispatch thread so parallel tests never starve the cooperative
/// pool (the server's reload runs on a Task there).
/// A dedicated thread, not Dispatch: on Linux the global queues share their width with Swift's executor.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Runs a program to completion with stdin and stderr on /dev/null, an empty signal mask and
/// default signal actions (the test process blocks most signals on its threads, and children
/// would inherit that), returning its exit status and, if asked, its stdout.
func runProgram(_ path: String, _ arguments: [String], captureOutput: Bool = false) throws -> (status: Int32, output: String) {
    var pipeFDs: [Int32] = [-1, -1]
    if captureOutput { guard pipe(&pipeFDs) == 0 else { throw POSIXError(.EMFILE) } }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    if captureOutput {
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var empty = sigset_t()
    sigemptyset(&empty)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &empty)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    if captureOutput { close(pipeFDs[1]) }
    guard spawned == 0 else {
        if captureOutput { close(pipeFDs[0]) }
        throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
    }
    var output: [UInt8] = []
    if captureOutput {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(pipeFDs[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output += buffer[..<count]
        }
        close(pipeFDs[0])
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let exitStatus = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    return (exitStatus, String(decoding: output, as: UTF8.self))
}

/// One request with the CLI's HTTP client, off the cooperative pool.
func request(_ socketPath: String, _ method: String, _ target: String) async throws -> HTTPAnswer {
    try await offPool { try UnixHTTPClient(socketPath: socketPath).send(method: method, target: target) }
}

/// Calls `body` with a `sockaddr_un` for `path` (truncated to fit) and its length.
func withUnixAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in bytes.enumerated() where index < raw.count - 1 { raw[index] = byte }
    }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}
