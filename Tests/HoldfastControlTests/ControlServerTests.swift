// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastControlModels
import HoldfastControlServer
import HoldfastCtl
import NIOCore
import Testing

@Suite("Control server over a real Unix socket")
struct ControlServerTests {
    struct EndpointCase: Sendable, CustomTestStringConvertible {
        var method: String
        var target: String
        var status: Int
        /// A fragment the body must contain.
        var bodyContains: String
        var testDescription: String { "\(method) \(target) → \(status)" }
    }

    static let endpoints: [EndpointCase] = [
        .init(method: "GET", target: "/health", status: 200, bodyContains: "\"status\" : \"ok\""),
        .init(method: "GET", target: "/metrics", status: 200, bodyContains: "holdfast_queries_total{protocol=\"udp\""),
        .init(method: "GET", target: "/stats", status: 200, bodyContains: "\"total_queries\""),
        .init(method: "GET", target: "/upstreams", status: 200, bodyContains: "\"consecutive_failures\" : 6"),
        .init(method: "GET", target: "/cache?name=example.com.&type=AAAA", status: 200, bodyContains: "\"ttl_remaining_s\" : 245"),
        .init(method: "GET", target: "/cache?name=missing.example.", status: 404, bodyContains: "\"found\" : false"),
        .init(method: "GET", target: "/cache?name=missing.example.", status: 404, bodyContains: "\"type\" : \"A\""),
        .init(method: "GET", target: "/cache", status: 400, bodyContains: "missing query parameter: name"),
        .init(method: "GET", target: "/cache?name=bad..name", status: 400, bodyContains: "invalid name: bad..name"),
        .init(method: "POST", target: "/cache/flush", status: 200, bodyContains: "\"flushed\" : 412"),
        .init(method: "POST", target: "/cache/flush?name=example.com.", status: 200, bodyContains: "\"flushed\" : 1"),
        .init(method: "POST", target: "/reload", status: 200, bodyContains: "\"ok\" : true"),
        .init(method: "GET", target: "/livez", status: 200, bodyContains: "\"ok\" : true"),
        .init(method: "GET", target: "/readyz", status: 200, bodyContains: "\"reason\" : null"),
        .init(method: "POST", target: "/livez", status: 405, bodyContains: "use GET"),
        .init(method: "GET", target: "/nowhere", status: 404, bodyContains: "\"error\""),
        .init(method: "POST", target: "/health", status: 405, bodyContains: "use GET"),
        .init(method: "GET", target: "/reload", status: 405, bodyContains: "use POST"),
        .init(method: "GET", target: "/cache/flush", status: 405, bodyContains: "use POST"),
    ]

    @Test("each endpoint answers with its status and JSON", arguments: endpoints)
    func endpoint(_ endpoint: EndpointCase) async throws {
        try await withServer { running in
            let answer = try await request(running.socketPath, endpoint.method, endpoint.target)
            #expect(answer.status == endpoint.status)
            #expect(answer.text.contains(endpoint.bodyContains), "\(answer.text)")
            if endpoint.target == "/metrics" {
                #expect(answer.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            } else {
                #expect(answer.headers["content-type"] == "application/json")
            }
        }
    }

    @Test("curl --unix-socket works, as the README promises",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")),
          arguments: [(["http://localhost/health"], "\"status\" : \"ok\""), (["-X", "POST", "http://localhost/cache/flush"], "\"flushed\" : 412")])
    func curl(arguments: [String], expected: String) async throws {
        try await withServer { running in
            let result = try await offPool {
                try runProgram("/usr/bin/curl", ["-sS", "--max-time", "5", "--unix-socket", running.socketPath] + arguments, captureOutput: true)
            }
            #expect(result.status == 0)
            #expect(result.output.contains(expected), "\(result.output)")
        }
    }

    @Test("JSON bodies decode into the shared models")
    func modelsRoundTrip() async throws {
        try await withServer { running in
            let client = ControlClient(socketPath: running.socketPath)
            let stats = try await offPool { try client.stats().report }
            #expect(stats.totalQueries == 1050)
            #expect(stats.queries["tcp"]?["NOERROR"] == 80)
            #expect(stats.cache == .init(hits: 750, misses: 240, stale: 11, evictions: 3, entries: 412))
            #expect(try await offPool { try client.upstreams().report } == running.backend.upstreams())
            #expect(try await offPool { try client.health().report } == running.backend.health())
        }
    }

    @Test("health is 503 when failing, 200 when degraded", arguments: [
        (HealthReport.Status.ok, 200), (.degraded, 200), (.failing, 503),
    ])
    func healthStatusCode(state: HealthReport.Status, code: Int) async throws {
        try await withServer { running in
            running.backend.set(health: state)
            let answer = try await request(running.socketPath, "GET", "/health")
            #expect(answer.status == code)
            #expect(try ControlAPI.decode(HealthReport.self, from: Data(answer.body)).status == state)
        }
    }

    @Test("livez and readyz are 503 with the reason when they fail, whatever /health says")
    func probesFail() async throws {
        try await withServer { running in
            running.backend.set(health: .failing)
            #expect(try await request(running.socketPath, "GET", "/livez").status == 200, "an upstream outage never fails liveness")
            running.backend.set(live: ProbeReport(ok: false, reason: "an event loop or UDP reading thread is stuck"))
            running.backend.set(ready: ProbeReport(ok: false, reason: "draining: stopping (SIGTERM)"))
            for (target, reason) in [("/livez", "stuck"), ("/readyz", "draining")] {
                let answer = try await request(running.socketPath, "GET", target)
                #expect(answer.status == 503, "\(target)")
                let report = try ControlAPI.decode(ProbeReport.self, from: Data(answer.body))
                #expect(report.ok == false)
                #expect(report.reason?.contains(reason) == true, "\(target): \(report)")
            }
        }
    }

    @Test("a rejected reload is 400 with the error")
    func reloadRejected() async throws {
        try await withServer { running in
            running.backend.set(reloadError: "holdfast.toml: upstream.providers[0].servers: empty")
            let answer = try await request(running.socketPath, "POST", "/reload")
            #expect(answer.status == 400)
            let report = try ControlAPI.decode(ReloadReport.self, from: Data(answer.body))
            #expect(report == .failure("holdfast.toml: upstream.providers[0].servers: empty"))
        }
    }

    @Test("the socket is created with its directory, mode 0660, and removed on shutdown")
    func socketFile() async throws {
        let running = try await RunningServer.start(socketName: "a/b/control.sock")
        var info = stat()
        #expect(lstat(running.socketPath, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o660)
        await running.server.shutdown()
        #expect(access(running.socketPath, F_OK) != 0)
        await running.stop()
    }

    @Test("a socket file left by a dead process is replaced")
    func staleSocketReplaced() async throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/control.sock"
        try makeDeadSocketFile(at: path)
        #expect(access(path, F_OK) == 0)
        let server = ControlServer(configuration: .init(socketPath: path), backend: FakeBackend())
        try await server.start()
        let answer = try await request(path, "GET", "/health")
        #expect(answer.status == 200)
        await server.shutdown()
    }

    @Test("a live daemon on the socket is a clear error and keeps serving")
    func liveDaemonRefused() async throws {
        try await withServer { running in
            let second = ControlServer(configuration: .init(socketPath: running.socketPath), backend: FakeBackend())
            let error = await #expect(throws: ControlServerError.self) { try await second.start() }
            #expect(error?.code == .alreadyRunning)
            #expect(error?.description == "another holdfastd is running on \(running.socketPath)")
            let answer = try await request(running.socketPath, "GET", "/health")
            #expect(answer.status == 200)
        }
    }

    @Test("something that is not a socket is left alone")
    func notASocket() async throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/control.sock"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
        let server = ControlServer(configuration: .init(socketPath: path), backend: FakeBackend())
        let error = await #expect(throws: ControlServerError.self) { try await server.start() }
        #expect(error?.code == .notASocket)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test("an oversized request gets 431 and does not disturb other clients")
    func oversizedRequest() async throws {
        try await withServer { running in
            let big = try RawConnection(unixPath: running.socketPath)
            big.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Fill: " + String(repeating: "a", count: 20_000) + "\r\n\r\n")
            let answer = try await request(running.socketPath, "GET", "/stats")
            #expect(answer.status == 200)
            #expect(await big.readAll().hasPrefix("HTTP/1.1 431"))
        }
    }

    @Test("a request that never finishes is cut off at the timeout and blocks nobody")
    func neverFinishingRequest() async throws {
        try await withServer(configure: { $0.requestTimeout = .milliseconds(300) }) { running in
            let stalled = try RawConnection(unixPath: running.socketPath)
            stalled.send("GET /health HTTP/1.1\r\nHost: x\r\n")
            let answer = try await request(running.socketPath, "GET", "/health")
            #expect(answer.status == 200)
            let clock = ContinuousClock()
            let started = clock.now
            #expect(await stalled.readAll() == "")
            #expect(clock.now - started < .seconds(5))
        }
    }

    @Test("connections beyond the cap are closed at once; the server recovers")
    func connectionCap() async throws {
        try await withServer(configure: { $0.maxConnections = 2 }) { running in
            // Accepted connections are set up on several event loops, so which of three
            // simultaneous clients is over the cap is not fixed: exactly one must be closed.
            let clients = try (0..<3).map { _ in try RawConnection(unixPath: running.socketPath) }
            clients.forEach { $0.send("GET /health HTTP/1.1\r\n") }
            let closed = try #require(await offPool { RawConnection.firstClosed(of: clients, within: .seconds(4)) })
            let held = clients.enumerated().filter { $0.offset != closed }.map(\.element)
            held.forEach { $0.send("Host: x\r\n\r\n") }
            for connection in held { #expect(await connection.readAll().hasPrefix("HTTP/1.1 200")) }
            // Closing is asynchronous: allow the counter a bounded moment to see the closes.
            var status = 0
            for _ in 0..<50 where status != 200 {
                status = (try? UnixHTTPClient(socketPath: running.socketPath).send(method: "GET", target: "/health").status) ?? 0
                if status != 200 { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(status == 200)
        }
    }

    @Test("metrics_listen serves only /metrics, /health, /livez and /readyz over TCP on loopback")
    func metricsListener() async throws {
        try await withServer(configure: { $0.metricsListen = .init(host: "127.0.0.1", port: 0) }) { running in
            let port = try #require(running.server.metricsLocalAddress?.port)
            running.backend.set(ready: ProbeReport(ok: false, reason: "starting"))
            for (target, expected) in [
                ("/metrics", "HTTP/1.1 200"), ("/health", "HTTP/1.1 200"), ("/livez", "HTTP/1.1 200"), ("/readyz", "HTTP/1.1 503"),
                ("/stats", "HTTP/1.1 404"), ("/upstreams", "HTTP/1.1 404"),
            ] {
                let connection = try RawConnection(loopbackPort: port)
                connection.send("GET \(target) HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(await connection.readAll().hasPrefix(expected), "\(target)")
            }
            let flush = try RawConnection(loopbackPort: port)
            flush.send("POST /cache/flush HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n")
            #expect(await flush.readAll().hasPrefix("HTTP/1.1 404"))
            #expect(running.backend.script.withLock { $0.flushedNames.isEmpty })
        }
    }

    @Test("run() returns after requestShutdown()")
    func runUntilShutdown() async throws {
        let directory = try makeTempDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = ControlServer(configuration: .init(socketPath: directory + "/c.sock"), backend: FakeBackend())
        try await server.start()
        async let finished: Void = server.run()
        server.requestShutdown()
        try await finished
        #expect(access(directory + "/c.sock", F_OK) != 0)
    }
}

/// Binds a Unix socket at `path` and closes it without unlinking: what a crashed daemon leaves.
func makeDeadSocketFile(at path: String) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    let result = withUnixAddress(path) { bind(fd, $0, $1) }
    guard result == 0 else { throw POSIXError(.EADDRINUSE) }
}
