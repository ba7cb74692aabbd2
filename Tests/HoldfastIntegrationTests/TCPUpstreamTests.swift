// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Issue 23, from outside: `transport = "tcp"` — plain DNS over one persistent, pipelined
    /// TCP connection per server (RFC 7766, CoreDNS's `force_tcp`), to real nsd and to a
    /// fault-injecting fake, everything on loopback.
    @Suite("DNS over TCP upstreams", .serialized)
    struct TCPUpstreams {
        static let backupAddress: [UInt8] = [192, 0, 2, 99]

        /// TCP connections established to `port` on 127.0.0.1 now (from `ss`).
        static func establishedConnections(toPort port: UInt16) async throws -> Int {
            let run = try await ChildProcess.run(
                try Executables.find("ss"), ["-Htn", "state", "established", "dst", "127.0.0.1:\(port)"],
                environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], timeout: .seconds(5))
            return run.stdout.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.count
        }

        @Test("nsd over TCP: 40 names at once are answered over one connection, and nsd sees no UDP query")
        func nsdOverOneConnection() async throws {
            var zone = Zone.standard()
            let names = (0..<40).map { "n\($0).example.test." }
            for (index, name) in names.enumerated() { zone.add(String(name.dropLast()) + ".", "A", "192.0.2.\(index + 1)") }
            let nsd = try await NSDFixture.start(zones: [zone])
            let before = try await nsd.queriesByTransport()
            var config = DaemonConfig(providers: [.tcp("cluster", [nsd.address])])
            config.timeoutMs = 2000
            let daemon = try await DaemonProcess.start(config)

            let answers = try await AnsweredA.askAll(daemon, names)
            #expect(answers == names.enumerated().map { AnsweredA(name: $1, rcode: .noError, addresses: [[192, 0, 2, UInt8($0 + 1)]]) })
            let big = try await AnsweredA.ask(daemon, "big.example.test.", over: .tcp)
            #expect(big.addresses.count == Zone.bigRecordCount, "a large answer arrives whole over the stream")
            let missing = try await DNSClient.query("nope.example.test", .a, to: daemon.address, timeout: .seconds(5))
            #expect(missing.rcode == .nxDomain)

            let after = try await nsd.queriesByTransport()
            #expect(after.udp == before.udp, "no query reached nsd over UDP")
            #expect(after.tcp - before.tcp == 42)
            #expect(try await Self.establishedConnections(toPort: nsd.port) == 1, "one persistent connection")
            let server = try await TLSUpstreamsView.fetch(daemon).server("cluster")
            #expect(server.transport == "tcp")
            #expect(server.connectionsOpen == 1)
            #expect(server.tlsHandshakes == nil && server.tlsResumed == nil, "no TLS on a tcp connection")
            #expect(server.requests == 42, "a TCP attempt is never resent to the same server")
            #expect(try await daemon.metricLines("holdfast_upstream_connections{").contains { $0.hasSuffix(" 1.0") || $0.hasSuffix(" 1") })

            let ctl = try await ChildProcess.run(try Executables.holdfast("holdfastctl"), ["--socket", daemon.controlSocketPath, "upstreams"])
            #expect(ctl.status == 0)
            #expect(ctl.stdout.dropFirst().first?.split(separator: " ").contains("tcp") == true, "\(ctl.stdout)")
            await daemon.stop()
        }

        @Test("Pipelining: 50 questions are in flight on one connection at once, answered in reverse order")
        func pipelinedOutOfOrder() async throws {
            // The fake answers nothing until 50 queries wait on one connection: a transport that
            // sent one at a time, or spread them over connections, would get no answer at all.
            let fake = try await FakeDoTServer.startPlain(mode: .reverse(50))
            var config = DaemonConfig(providers: [.tcp("tcp", [fake.address])])
            config.timeoutMs = 3000
            config.hedgeAfterMs = 0
            let daemon = try await DaemonProcess.start(config)
            let names = (0..<50).map { "r\($0).pipeline.test." }
            let answers = try await AnsweredA.askAll(daemon, names)
            #expect(answers == names.map { AnsweredA(name: $0, rcode: .noError, addresses: [[192, 0, 2, 1]]) })
            #expect(fake.lines(startingWith: "connection").count == 1, "\(fake.lines(startingWith: "connection"))")
            #expect(fake.lines(startingWith: "query").count == 50)
            #expect(fake.lines(startingWith: "handshake").isEmpty, "plain TCP, no TLS")
            await daemon.stop()
            await fake.stop()
        }

        @Test("The server closing the connection with queries in flight loses none: they are sent again on a new one")
        func serverCloseMidStream() async throws {
            let fake = try await FakeDoTServer.startPlain(mode: .closeAfter(3))
            var config = DaemonConfig(providers: [.tcp("tcp", [fake.address])])
            config.timeoutMs = 2000
            let daemon = try await DaemonProcess.start(config)
            for index in 0..<2 {
                #expect(try await AnsweredA.ask(daemon, "s\(index).close.test.").rcode == .noError)
            }
            // The third is answered; the fourth makes the server close with it (and the fifth)
            // unanswered: both go again on connection 2.
            let names = (2..<5).map { "s\($0).close.test." }
            let answers = try await AnsweredA.askAll(daemon, names)
            #expect(answers == names.map { AnsweredA(name: $0, rcode: .noError, addresses: [[192, 0, 2, 1]]) })
            #expect(fake.lines(startingWith: "closing 1").count == 1)
            #expect(fake.lines(startingWith: "connection").count == 2)
            await daemon.stop()
            await fake.stop()
        }

        @Test("An idle connection is closed after tls_idle_timeout_ms, and the next query opens a new one")
        func idleClose() async throws {
            let fake = try await FakeDoTServer.startPlain()
            var config = DaemonConfig(providers: [.tcp("tcp", [fake.address])])
            config.tlsIdleTimeoutMs = 300
            let daemon = try await DaemonProcess.start(config)
            #expect(try await AnsweredA.ask(daemon, "a.idle.test.").rcode == .noError)
            _ = try await fake.events.waitForLine(containing: "closing 1", timeout: .seconds(5))
            _ = try await TLSUpstreamsView.waitUntil(daemon, "the idle connection closed") { try $0.server("tcp").connectionsOpen == 0 }
            #expect(try await AnsweredA.ask(daemon, "b.idle.test.").rcode == .noError)
            #expect(fake.lines(startingWith: "connection").count == 2)
            await daemon.stop()
            await fake.stop()
        }

        @Test("A tcp server that refuses connections: the next provider answers; last_error says tcp: connect")
        func refusedFailsOver() async throws {
            let closed = try FreePort.next()  // nothing listens there
            let backup = try await FakeUpstream.start()
            backup.setDefaultIPv4(Self.backupAddress)
            let daemon = try await DaemonProcess.start(DaemonConfig(providers: [
                .tcp("cluster", [.v4(closed)]), DaemonConfig.Provider("backup", [.v4(UInt16(backup.port))]),
            ]))
            let answer = try await AnsweredA.ask(daemon, "refused.test.")
            #expect(answer.rcode == .noError && answer.addresses == [Self.backupAddress])
            let server = try await TLSUpstreamsView.waitUntil(daemon, "the refusal recorded") { try $0.server("cluster").lastError != nil }
                .server("cluster")
            #expect(server.lastError?.contains("tcp: connect") == true, "\(server.lastError ?? "nil")")
            #expect(server.lastError?.contains("tls") == false)
            await daemon.stop()
        }
    }
}
