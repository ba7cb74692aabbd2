// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Issue 15, from outside: the daemon forwarding over DNS over TLS to real servers from
    /// Debian (unbound with `tls-port`, nsd with `tls-port`) and to a fault-injecting fake,
    /// every certificate made by the test's own CA, everything on loopback.
    @Suite("DNS over TLS", .serialized)
    struct EncryptedUpstreams {
        /// The address the fake DoT server and the plaintext trap share (a loopback address no
        /// other test uses, so port 53 on it is free).
        static let trapHost = "127.0.9.53"
        static let backupAddress: [UInt8] = [192, 0, 2, 99]

        static func tlsProvider(_ name: String, _ server: LoopbackAddress, _ certs: TestCertificates,
                                more: [String] = []) -> DaemonConfig.Provider {
            .tls(name, [server], tlsName: certs.serverName, caFile: certs.caFile, more: more)
        }

        /// A `dns` provider answering every A question with `backupAddress`.
        static func backup() async throws -> FakeUpstream {
            let fake = try await FakeUpstream.start()
            fake.setDefaultIPv4(backupAddress)
            return fake
        }

        // MARK: Real servers

        @Test("Unbound over TLS: 40 names at once are answered over one connection, one handshake")
        func unboundSharesOneConnection() async throws {
            let certs = try await TestCertificates.make()
            let names = (0..<40).map { "n\($0).dot.example." }
            let unbound = try await UnboundDoTFixture.start(
                identity: certs.good, records: names.enumerated().map { "\($1) 300 IN A 192.0.2.\($0 + 1)" })
            var config = DaemonConfig(providers: [Self.tlsProvider("dot", unbound.tlsAddress, certs)])
            config.timeoutMs = 2000
            let daemon = try await DaemonProcess.start(config)

            let answers = try await AnsweredA.askAll(daemon, names)
            #expect(answers == names.enumerated().map { AnsweredA(name: $1, rcode: .noError, addresses: [[192, 0, 2, UInt8($0 + 1)]]) })
            let server = try await TLSUpstreamsView.fetch(daemon).server("dot")
            #expect(server.transport == "tls")
            #expect(server.tlsHandshakes == 1)
            #expect(server.connectionsOpen == 1)
            #expect(server.requests == 40, "a TLS attempt is never resent to the same server")
            #expect(unbound.establishedConnections == 1, "connections unbound accepted and holds")
            #expect(try await daemon.metricLines("holdfast_upstream_tls_handshakes_total").contains {
                $0.contains("result=\"ok\"") && $0.hasSuffix(" 1")
            })
            #expect(try await daemon.metricLines("holdfast_upstream_connections{").contains { $0.hasSuffix(" 1.0") || $0.hasSuffix(" 1") })

            let ctl = try await ChildProcess.run(try Executables.holdfast("holdfastctl"),
                                                 ["--socket", daemon.controlSocketPath, "upstreams"])
            #expect(ctl.status == 0)
            #expect(ctl.stdout.first?.contains("TRANSPORT") == true, "\(ctl.stdout)")
            #expect(ctl.stdout.dropFirst().first?.split(separator: " ").contains("tls") == true, "\(ctl.stdout)")
            await daemon.stop()
        }

        @Test("An idle connection is closed after tls_idle_timeout_ms; the next query reconnects and resumes the session")
        func idleCloseThenResumption() async throws {
            let certs = try await TestCertificates.make()
            let unbound = try await UnboundDoTFixture.start(
                identity: certs.good, records: ["a.dot.example. 300 IN A 192.0.2.1", "b.dot.example. 300 IN A 192.0.2.2"])
            var config = DaemonConfig(providers: [Self.tlsProvider("dot", unbound.tlsAddress, certs)])
            config.tlsIdleTimeoutMs = 300
            let daemon = try await DaemonProcess.start(config)

            #expect(try await AnsweredA.ask(daemon, "a.dot.example.").addresses == [[192, 0, 2, 1]])
            _ = try await TLSUpstreamsView.waitUntil(daemon, "the idle connection closed") {
                try $0.server("dot").connectionsOpen == 0
            }
            let deadline = ContinuousClock.now + .seconds(5)
            while unbound.establishedConnections > 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(unbound.establishedConnections == 0, "unbound still holds the connection")

            #expect(try await AnsweredA.ask(daemon, "b.dot.example.").addresses == [[192, 0, 2, 2]])
            let server = try await TLSUpstreamsView.fetch(daemon).server("dot")
            #expect(server.tlsHandshakes == 2)
            #expect(server.tlsResumed == 1, "the second handshake resumed the first session")
            #expect(try await daemon.metricLines("holdfast_upstream_tls_handshakes_total").contains {
                $0.contains("result=\"resumed\"") && $0.hasSuffix(" 1")
            })
            await daemon.stop()
        }

        @Test("nsd over TLS: answers, and a 100-record answer split over TLS records arrives whole")
        func nsdAnswersLargeReplies() async throws {
            let certs = try await TestCertificates.make()
            let nsd = try await NSDFixture.start(tls: certs.good)
            let tlsAddress = try #require(nsd.tlsAddress)
            let daemon = try await DaemonProcess.start(DaemonConfig(providers: [Self.tlsProvider("nsd", tlsAddress, certs)]))
            #expect(try await AnsweredA.ask(daemon, "www.example.test.").addresses == [[192, 0, 2, 1]])
            let big = try await AnsweredA.ask(daemon, "big.example.test.", over: .tcp)
            #expect(big.rcode == .noError)
            #expect(big.addresses.count == Zone.bigRecordCount)
            let missing = try await DNSClient.query("nope.example.test", .a, to: daemon.address, timeout: .seconds(5))
            #expect(missing.rcode == .nxDomain)
            #expect(try await TLSUpstreamsView.fetch(daemon).server("nsd").tlsHandshakes == 1)
            await daemon.stop()
        }

        @Test("A reload that turns a plain provider into DNS over TLS takes effect at once")
        func reloadToTLS() async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: certs.good)
            let plain = try await Self.backup()
            let config = DaemonConfig(providers: [DaemonConfig.Provider("p", [.v4(UInt16(plain.port))])])
            let daemon = try await DaemonProcess.start(config)
            #expect(try await AnsweredA.ask(daemon, "before.test.").addresses == [Self.backupAddress])
            try daemon.rewriteConfig(DaemonConfig(providers: [Self.tlsProvider("p", fake.address, certs)]))
            let mark = daemon.stderr.count
            daemon.signal(SIGHUP)
            try await daemon.waitForLog(containing: "config reloaded", from: mark)
            #expect(try await TLSUpstreamsView.fetch(daemon).server("p").transport == "tls")
            #expect(try await AnsweredA.ask(daemon, "after.test.").addresses == [[192, 0, 2, 1]])
            // The fake logs a query after answering it: its line may trail the answer a little.
            let logged = ContinuousClock.now + .seconds(2)
            while fake.lines(startingWith: "query").isEmpty && ContinuousClock.now < logged {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(fake.lines(startingWith: "query").count == 1)
            #expect(plain.queryCount == 1)
            await daemon.stop()
            await fake.stop()
        }

        // MARK: Faults a real server will not produce on demand

        @Test("The server's edns-tcp-keepalive (RFC 7828) closes an idle connection sooner than tls_idle_timeout_ms")
        func serverKeepaliveShortensIdle() async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: certs.good, keepalive: 2)  // 200 ms
            let daemon = try await DaemonProcess.start(DaemonConfig(providers: [Self.tlsProvider("dot", fake.address, certs)]))
            let asked = ContinuousClock.now
            #expect(try await AnsweredA.ask(daemon, "k.test.").rcode == .noError)
            _ = try await TLSUpstreamsView.waitUntil(daemon, timeout: .seconds(5), "the connection closed") {
                try $0.server("dot").connectionsOpen == 0
            }
            #expect(ContinuousClock.now - asked < .seconds(5), "closed long before the 10 s tls_idle_timeout_ms")
            _ = try await fake.events.waitForLine(containing: "closing 1", timeout: .seconds(5))
            await daemon.stop()
            await fake.stop()
        }

        @Test("A server whose certificate fails is not handshaken with again and again: 60 questions, a few handshakes")
        func handshakeBackoff() async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: certs.expired)
            let backup = try await Self.backup()
            var config = DaemonConfig(providers: [
                Self.tlsProvider("secure", fake.address, certs), DaemonConfig.Provider("backup", [.v4(UInt16(backup.port))]),
            ])
            config.timeoutMs = 1000
            let daemon = try await DaemonProcess.start(config)
            let names = (0..<60).map { "b\($0).backoff.test." }
            // Four at a time: a burst of questions that all need a second attempt would meet the
            // retry budget (at least 10 extra attempts a second), which is not what this tests.
            for batch in stride(from: 0, to: names.count, by: 4) {
                let answers = try await AnsweredA.askAll(daemon, Array(names[batch..<(batch + 4)]))
                #expect(answers.allSatisfy { $0.rcode == .noError && $0.addresses == [Self.backupAddress] }, "\(answers)")
            }
            let handshakes = fake.lines(startingWith: "connection").count
            #expect(handshakes >= 1 && handshakes <= 6, "\(handshakes) connections for 60 questions")
            #expect(fake.lines(startingWith: "query").isEmpty)
            await daemon.stop()
            await fake.stop()
        }


        @Test("Answers that come back in reverse order are matched to their questions")
        func outOfOrderAnswers() async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: certs.good, mode: .reverse(5))
            let daemon = try await DaemonProcess.start(DaemonConfig(providers: [Self.tlsProvider("dot", fake.address, certs)]))
            let names = (0..<5).map { "r\($0).order.test." }
            let answers = try await AnsweredA.askAll(daemon, names)
            #expect(answers == names.map { AnsweredA(name: $0, rcode: .noError, addresses: [[192, 0, 2, 1]]) })
            #expect(fake.lines(startingWith: "handshake").count == 1)
            #expect(fake.lines(startingWith: "query").count == 5)
            await daemon.stop()
            await fake.stop()
        }

        @Test("The server closing the connection with queries in flight loses none: they are sent again on a new one")
        func serverCloseMidStream() async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: certs.good, mode: .closeAfter(3))
            var config = DaemonConfig(providers: [Self.tlsProvider("dot", fake.address, certs)])
            config.timeoutMs = 2000
            let daemon = try await DaemonProcess.start(config)
            for index in 0..<2 {
                #expect(try await AnsweredA.ask(daemon, "s\(index).close.test.").rcode == .noError)
            }
            // The third is answered; the fourth makes the server close with it (and the fifth)
            // unanswered.
            let names = (2..<5).map { "s\($0).close.test." }
            let answers = try await AnsweredA.askAll(daemon, names)
            #expect(answers == names.map { AnsweredA(name: $0, rcode: .noError, addresses: [[192, 0, 2, 1]]) })
            #expect(fake.lines(startingWith: "closing 1").count == 1)
            #expect(fake.lines(startingWith: "handshake 2 ok").count == 1)
            let server = try await TLSUpstreamsView.fetch(daemon).server("dot")
            #expect(server.tlsHandshakes == 2)
            await daemon.stop()
            await fake.stop()
        }

        @Test("A TLS server that accepts queries and never answers: the next provider answers")
        func silentServerFailsOver() async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: certs.good, mode: .silent)
            let backup = try await Self.backup()
            var config = DaemonConfig(providers: [
                Self.tlsProvider("secure", fake.address, certs), DaemonConfig.Provider("backup", [.v4(UInt16(backup.port))]),
            ])
            config.timeoutMs = 1000
            let daemon = try await DaemonProcess.start(config)
            let answer = try await AnsweredA.ask(daemon, "quiet.test.")
            #expect(answer.rcode == .noError && answer.addresses == [Self.backupAddress])
            #expect(fake.lines(startingWith: "query").count >= 1, "the query went to the silent server first")
            await daemon.stop()
            await fake.stop()
        }

        @Test("A server that accepts TCP and never finishes the handshake: the next provider answers; last_error says tls:")
        func handshakeNeverFinishes() async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: certs.good, mode: .stall)
            let backup = try await Self.backup()
            var config = DaemonConfig(providers: [
                Self.tlsProvider("secure", fake.address, certs), DaemonConfig.Provider("backup", [.v4(UInt16(backup.port))]),
            ])
            config.timeoutMs = 800
            let daemon = try await DaemonProcess.start(config)
            let answer = try await AnsweredA.ask(daemon, "stall.test.")
            #expect(answer.rcode == .noError && answer.addresses == [Self.backupAddress])
            let view = try await TLSUpstreamsView.waitUntil(daemon, "the handshake timeout recorded") {
                try $0.server("secure").lastError?.hasPrefix("tls:") == true
            }
            #expect(try view.server("secure").lastError?.contains("handshake timed out after 800 ms") == true)
            #expect(fake.lines(startingWith: "query").isEmpty)
            await daemon.stop()
            await fake.stop()
        }

        // MARK: Strict authentication (RFC 8310)

        enum Strictness: String, CaseIterable, Sendable {
            case wrongName, unknownCA, expired, pinMismatch

            func identity(_ certs: TestCertificates) -> TestCertificates.Identity {
                switch self {
                case .wrongName: certs.wrongName
                case .unknownCA: certs.unknownCA
                case .expired: certs.expired
                case .pinMismatch: certs.good
                }
            }

            /// What `last_error` says after "tls: ".
            var reason: String {
                switch self {
                case .wrongName: "hostname mismatch"
                case .unknownCA: "unable to get local issuer certificate"
                case .expired: "certificate has expired"
                case .pinMismatch: "tls_pins"
                }
            }
        }

        @Test("A certificate that fails authentication fails the server with tls:, nothing is sent in plaintext, the next provider answers",
              arguments: Strictness.allCases)
        func strictAuthentication(_ failure: Strictness) async throws {
            let certs = try await TestCertificates.make()
            let fake = try await FakeDoTServer.start(identity: failure.identity(certs), host: Self.trapHost)
            let trap = PlaintextTrap(host: Self.trapHost, tlsPort: fake.address.port)
            let backup = try await Self.backup()
            // For the pin case: the key of another certificate is pinned.
            let pins = failure == .pinMismatch ? ["tls_pins = [\"\(try await TestCertificates.pin(of: certs.unknownCA.certificate))\"]"] : []
            var config = DaemonConfig(providers: [
                Self.tlsProvider("secure", fake.address, certs, more: pins),
                DaemonConfig.Provider("backup", [.v4(UInt16(backup.port))]),
            ])
            config.timeoutMs = 1000
            let daemon = try await DaemonProcess.start(config)

            for index in 0..<3 {
                let answer = try await AnsweredA.ask(daemon, "strict\(index).test.")
                #expect(answer.rcode == .noError && answer.addresses == [Self.backupAddress])
            }
            let view = try await TLSUpstreamsView.waitUntil(daemon, "a tls: error recorded") {
                try $0.server("secure").lastError?.hasPrefix("tls:") == true
            }
            let lastError = try view.server("secure").lastError ?? ""
            #expect(lastError.contains(failure.reason), "last_error: \(lastError)")
            #expect(try view.server("secure").tlsHandshakes == 0)
            #expect(fake.lines(startingWith: "query").isEmpty, "a query reached a server that failed authentication")
            #expect(trap.caught() == 0, "plaintext reached \(trap.watching)")
            #expect(try await daemon.metricLines("holdfast_upstream_requests_total").contains { $0.contains("outcome=\"tls_error\"") })
            #expect(try await daemon.metricLines("holdfast_upstream_tls_handshakes_total").contains { $0.contains("result=\"failed\"") })
            await daemon.stop()
            await fake.stop()
        }

        @Test("The right pin is accepted; tls_verify = false encrypts to a server no CA vouches for")
        func pinAndOpportunistic() async throws {
            let certs = try await TestCertificates.make()
            let pinned = try await FakeDoTServer.start(identity: certs.good)
            let untrusted = try await FakeDoTServer.start(identity: certs.unknownCA)
            let pin = try await TestCertificates.pin(of: certs.good.certificate)
            let daemon = try await DaemonProcess.start(DaemonConfig(providers: [
                Self.tlsProvider("pinned", pinned.address, certs, more: ["tls_pins = [\"\(pin)\"]"]),
                DaemonConfig.Provider("opportunistic", [untrusted.address], settings: ["transport = \"tls\"", "tls_verify = false"]),
            ]))
            #expect(try await AnsweredA.ask(daemon, "pinned.test.").rcode == .noError)
            #expect(pinned.lines(startingWith: "query").count == 1)
            await pinned.stop()
            // The pinned server is gone: the next question fails over to the opportunistic one.
            let answer = try await AnsweredA.ask(daemon, "open.test.")
            #expect(answer.rcode == .noError)
            #expect(untrusted.lines(startingWith: "query").contains { $0.hasSuffix("open.test.") })
            await daemon.stop()
            await untrusted.stop()
        }

        @Test("When a server's certificate turns bad, its cached names are served stale")
        func staleDataWhenAuthenticationFails() async throws {
            let certs = try await TestCertificates.make()
            let good = try await FakeDoTServer.start(identity: certs.good)
            let port = good.address.port
            var config = DaemonConfig(providers: [Self.tlsProvider("secure", good.address, certs)])
            config.maxTTLs = 1
            config.timeoutMs = 800
            let daemon = try await DaemonProcess.start(config)
            #expect(try await AnsweredA.ask(daemon, "cached.test.").addresses == [[192, 0, 2, 1]])
            await good.stop()
            let expired = try await FakeDoTServer.start(identity: certs.expired, port: port)
            try await Task.sleep(for: .milliseconds(1500))  // the cached answer's 1 s TTL runs out
            let reply = try await DNSClient.query("cached.test", .a, to: daemon.address, timeout: .seconds(5))
            #expect(reply.rcode == .noError)
            #expect(reply.edns?.extendedErrorCodes.contains(ExtendedDNSError.staleAnswer) == true)
            let view = try await TLSUpstreamsView.waitUntil(daemon, "the expired certificate recorded") {
                try $0.server("secure").lastError?.contains("certificate has expired") == true
            }
            #expect(try view.server("secure").lastError?.hasPrefix("tls:") == true)
            #expect(expired.lines(startingWith: "query").isEmpty)
            await daemon.stop()
            await expired.stop()
        }
    }
}
