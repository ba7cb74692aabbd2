// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// Every resilience suite, one after another: they start daemons, send bursts and time
/// answers, so running them side by side (and beside the rest of `make test`) on a loaded
/// 2-core machine would make each other's timings (and other suites' timing checks) flaky.
@Suite("Resilience", .serialized)
struct ResilienceSuites {}

/// One resilience test's world: a switchable `FakeUpstream` and a `holdfastd` forwarding only
/// to it (provider "p1"). The daemon dies with this value if a test fails early.
struct ResilienceStack {
    let upstream: FakeUpstream
    let daemon: DaemonProcess
    let config: DaemonConfig

    var address: LoopbackAddress { daemon.address }
    var upstreamAddress: LoopbackAddress { .v4(UInt16(upstream.port)) }

    /// Starts the fake upstream answering `records`, then the daemon after `configure`.
    static func start(
        records: [DNSRecord] = [], configure: (inout DaemonConfig) throws -> Void = { _ in }
    ) async throws -> ResilienceStack {
        let upstream = try await FakeUpstream.start()
        upstream.setRecords(records)
        var config = DaemonConfig(upstreams: [.v4(UInt16(upstream.port))])
        try configure(&config)
        let daemon = try await DaemonProcess.start(config)
        return ResilienceStack(upstream: upstream, daemon: daemon, config: config)
    }

    /// A second daemon on this one's directory (its cache file), same config.
    func restart(after previous: DaemonProcess) async throws -> ResilienceStack {
        let daemon = try await DaemonProcess.start(config, directory: previous.directory)
        return ResilienceStack(upstream: upstream, daemon: daemon, config: config)
    }

    /// SIGTERM the daemon (returns its exit code) and stop the fake upstream.
    @discardableResult
    func stop() async -> Int32 {
        let code = await daemon.stop()
        await upstream.shutdown()
        return code
    }

    /// One query over UDP with EDNS (or without, `edns: false`).
    func ask(_ name: String, _ type: DNSType = .a, edns: Bool = true, timeout: Duration = .seconds(4)) async throws -> DNSMessage {
        try await DNSClient.query(name, type, to: address, udpPayloadSize: edns ? 1232 : nil, timeout: timeout)
    }

    /// GET /stats on the control socket.
    func stats() async throws -> ResilienceStats {
        try await ResilienceControl.get("/stats", socket: daemon.controlSocketPath, as: ResilienceStats.self)
    }
}

/// The parts of `GET /stats` these tests read (SPEC.md: Control socket).
struct ResilienceStats: Decodable, Sendable {
    struct Cache: Decodable, Sendable {
        var hits: UInt64
        var misses: UInt64
        var stale: UInt64
        var evictions: UInt64
        var entries: UInt64
    }

    var cache: Cache
    var coalesced: UInt64
    var prefetches: UInt64
    var lastKnownGood: UInt64

    enum CodingKeys: String, CodingKey {
        case cache, coalesced, prefetches
        case lastKnownGood = "last_known_good"
    }
}

/// The parts of `GET /cache?name=N&type=T` these tests read.
struct ResilienceCacheEntry: Decodable, Sendable {
    var found: Bool
    var stale: Bool
}

/// HTTP/1.1 over the daemon's Unix control socket, through curl (as SPEC.md shows it used).
enum ResilienceControl {
    static func get<T: Decodable>(_ path: String, socket: String, as type: T.Type) async throws -> T {
        let run = try await ChildProcess.run(
            try Executables.find("curl"),
            ["-s", "--max-time", "5", "--unix-socket", socket, "http://localhost\(path)"],
            environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(10))
        let body = run.stdout.joined(separator: "\n")
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.utf8))
        } catch {
            throw ResilienceError("GET \(path): curl status \(run.status), body \(body.prefix(300)): \(error)")
        }
    }
}

struct ResilienceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension DNSRecord {
    /// An A record, for the fake upstream.
    static func a(_ name: String, _ address: [UInt8], ttl: UInt32) throws -> DNSRecord {
        DNSRecord(name: try DNSName(name), type: .a, ttl: ttl, data: .a(address))
    }

    /// An AAAA record (`::1`-style filler), for NODATA flips.
    static func aaaa(_ name: String, ttl: UInt32) throws -> DNSRecord {
        DNSRecord(name: try DNSName(name), type: .aaaa, ttl: ttl, data: .aaaa([UInt8](repeating: 0, count: 15) + [1]))
    }
}

extension DNSMessage {
    /// The A answers' addresses.
    var addresses: [[UInt8]] {
        answers.compactMap { record in
            if case .a(let bytes) = record.data { return bytes }
            return nil
        }
    }

    var extendedErrors: [UInt16] { edns?.extendedErrorCodes ?? [] }

    /// The stale-answer shape (SPEC.md): NOERROR, `address`, TTL `ttl`, EDE 3 when EDNS was sent.
    func isStaleAnswer(_ address: [UInt8], ttl: UInt32 = 30, edns: Bool = true) -> Bool {
        rcode == .noError && addresses == [address] && answers.allSatisfy { $0.ttl == ttl }
            && (edns ? extendedErrors.contains(3) : self.edns == nil)
    }
}

/// Waits until the monotonic clock passes `instant` (the point is letting a TTL run out).
func resilienceSleep(until instant: ContinuousClock.Instant) async throws {
    let now = ContinuousClock.now
    if instant > now { try await Task.sleep(for: instant - now) }
}

/// Many UDP queries from one socket at a fixed pace; every reply timed by its ID. Blocking I/O
/// on two dedicated threads (sender and receiver), bounded by `drain` after the last send.
enum ResilienceBurst {
    /// One question's outcome: its reply (nil when none came) and send→receive latency.
    struct Outcome: Sendable {
        var reply: DNSMessage?
        var latency: Duration?
    }

    static func run(
        _ questions: [(name: String, type: DNSType)], to server: LoopbackAddress, interval: Duration,
        drain: Duration = .seconds(5), edns: Bool = true
    ) async throws -> [Outcome] {
        precondition(questions.count < Int(UInt16.max))
        var packets: [[UInt8]] = []
        for (index, question) in questions.enumerated() {
            packets.append(DNSMessage.makeQuery(
                id: UInt16(index + 1), question: DNSQuestion(name: try DNSName(question.name), type: question.type),
                udpPayloadSize: edns ? 1232 : nil))
        }
        let fd = try openSocket(port: server.port)
        defer { close(fd) }
        let intervalNanos = UInt64(interval.components.seconds) * 1_000_000_000
            + UInt64(interval.components.attoseconds / 1_000_000_000)
        let start = monotonicNanos() + 2_000_000
        let deadline = start + intervalNanos * UInt64(packets.count) + UInt64(drain.components.seconds) * 1_000_000_000
        let frozen = packets
        async let received = runBlocking { receive(fd: fd, count: frozen.count, deadline: deadline) }
        async let sent = runBlocking { () -> [UInt64] in
            var times: [UInt64] = []
            times.reserveCapacity(frozen.count)
            for (index, packet) in frozen.enumerated() {
                sleepUntil(start + UInt64(index) * intervalNanos)
                times.append(monotonicNanos())
                _ = packet.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            }
            return times
        }
        let sendTimes = try await sent
        let replies = try await received
        return (0..<packets.count).map { index in
            guard let (bytes, at) = replies[UInt16(index + 1)], let message = try? DNSMessage(parsing: bytes) else {
                return Outcome(reply: nil, latency: nil)
            }
            return Outcome(reply: message, latency: .nanoseconds(Int64(at &- sendTimes[index])))
        }
    }

    private static func receive(fd: Int32, count: Int, deadline: UInt64) -> [UInt16: ([UInt8], UInt64)] {
        var replies: [UInt16: ([UInt8], UInt64)] = [:]
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while replies.count < count && monotonicNanos() < deadline {
            let got = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            let at = monotonicNanos()
            guard got >= 12 else { continue }  // timeout tick (EAGAIN), EINTR or a runt
            let id = UInt16(buffer[0]) << 8 | UInt16(buffer[1])
            if replies[id] == nil { replies[id] = (Array(buffer[0..<got]), at) }
        }
        return replies
    }

    private static func openSocket(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ResilienceError("socket: errno \(errno)") }
        var tick = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, socklen_t(MemoryLayout<timeval>.size))
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw ResilienceError("connect: errno \(code)")
        }
        return fd
    }

    static func monotonicNanos() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    private static func sleepUntil(_ nanos: UInt64) {
        var target = timespec(tv_sec: Int(nanos / 1_000_000_000), tv_nsec: Int(nanos % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
    }
}

/// Latency percentiles for the FIGURES lines.
enum ResilienceFigures {
    /// The `p`-th percentile (0...100) of `values`, nearest rank; nil when empty.
    static func percentile(_ values: [Duration], _ p: Double) -> Duration? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    static func milliseconds(_ value: Duration?) -> String {
        guard let value else { return "-" }
        let (seconds, attoseconds) = value.components
        return String(format: "%.3f ms", Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}
