// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// The parts of `GET /upstreams` the DNS-over-TLS tests read.
struct TLSUpstreamsView: Decodable, Sendable {
    struct Server: Decodable, Sendable {
        var address: String
        var state: String
        var transport: String
        var connectionsOpen: Int?
        var tlsHandshakes: UInt64?
        var tlsResumed: UInt64?
        var lastError: String?
        var requests: UInt64
        enum CodingKeys: String, CodingKey {
            case address, state, transport, requests
            case connectionsOpen = "connections_open"
            case tlsHandshakes = "tls_handshakes"
            case tlsResumed = "tls_resumed"
            case lastError = "last_error"
        }
    }

    struct Provider: Decodable, Sendable {
        var name: String
        var servers: [Server]
    }

    var providers: [Provider]

    /// The first server of provider `name`.
    func server(_ name: String) throws -> Server {
        guard let server = providers.first(where: { $0.name == name })?.servers.first else {
            throw ResilienceError("no provider \(name) in /upstreams")
        }
        return server
    }

    static func fetch(_ daemon: DaemonProcess) async throws -> TLSUpstreamsView {
        try await ResilienceControl.get("/upstreams", socket: daemon.controlSocketPath, as: TLSUpstreamsView.self)
    }

    /// Polls `/upstreams` (every 20 ms, at most `timeout`) until `condition` holds; returns that view.
    static func waitUntil(
        _ daemon: DaemonProcess, timeout: Duration = .seconds(5), _ what: String,
        _ condition: @escaping (TLSUpstreamsView) throws -> Bool
    ) async throws -> TLSUpstreamsView {
        let deadline = ContinuousClock.now + timeout
        var view = try await fetch(daemon)
        while try !condition(view) {
            guard ContinuousClock.now < deadline else { throw ResilienceError("\(what): not within \(timeout)") }
            try await Task.sleep(for: .milliseconds(20))
            view = try await fetch(daemon)
        }
        return view
    }
}

/// Plaintext sockets where a DNS-over-TLS server lives: UDP and TCP on port 53 of its
/// address (when this process may bind it) and UDP on its TLS port number. Anything that
/// arrives is a query someone sent in plaintext.
final class PlaintextTrap {
    private var udp: [Int32] = []
    private var tcp: [Int32] = []
    /// The ports actually watched, for the failure message.
    private(set) var watching: [String] = []

    init(host: String, tlsPort: UInt16) {
        for (port, stream) in [(UInt16(53), false), (UInt16(53), true), (tlsPort, false)] {
            let fd = socket(AF_INET, Int32((stream ? SOCK_STREAM : SOCK_DGRAM).rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { continue }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            inet_pton(AF_INET, host, &address.sin_addr)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, !stream || listen(fd, 8) == 0 else {
                close(fd)
                continue
            }
            if stream { tcp.append(fd) } else { udp.append(fd) }
            watching.append("\(stream ? "tcp" : "udp") \(host):\(port)")
        }
    }

    /// Datagrams received plus connections accepted since the trap was set.
    func caught() -> Int {
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        for fd in udp {
            while recv(fd, &buffer, buffer.count, 0) >= 0 { count += 1 }
        }
        for fd in tcp {
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { break }
                count += 1
                close(client)
            }
        }
        return count
    }

    deinit {
        for fd in udp + tcp { close(fd) }
    }
}

/// Holdfast's view of one query sent to it: the client's name back, NOERROR, and the address.
struct AnsweredA: Sendable, Equatable {
    var name: String
    var rcode: DNSRCode
    var addresses: [[UInt8]]

    static func ask(_ daemon: DaemonProcess, _ name: String, over transport: DNSClient.Transport = .udp) async throws -> AnsweredA {
        let reply = try await DNSClient.query(name, .a, to: daemon.address, over: transport, timeout: .seconds(5))
        let addresses: [[UInt8]] = reply.answers.compactMap { record in
            if case .a(let bytes) = record.data { return bytes }
            return nil
        }
        return AnsweredA(name: reply.questions.first?.name.description ?? "", rcode: reply.rcode, addresses: addresses)
    }

    /// Every name at once; the answers in the order of `names`.
    static func askAll(_ daemon: DaemonProcess, _ names: [String]) async throws -> [AnsweredA] {
        try await withThrowingTaskGroup(of: (Int, AnsweredA).self) { group in
            for (index, name) in names.enumerated() {
                group.addTask { (index, try await ask(daemon, name)) }
            }
            var answers = [AnsweredA?](repeating: nil, count: names.count)
            for try await (index, answer) in group { answers[index] = answer }
            return answers.compactMap { $0 }
        }
    }
}

extension DaemonProcess {
    /// `GET /metrics` lines starting with `prefix`.
    func metricLines(_ prefix: String) async throws -> [String] {
        let run = try await ChildProcess.run(
            try Executables.find("curl"), ["-s", "--max-time", "5", "--unix-socket", controlSocketPath, "http://localhost/metrics"],
            environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(10))
        return run.stdout.filter { $0.hasPrefix(prefix) }
    }
}
