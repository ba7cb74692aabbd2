// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// Issue 16's DNS over HTTPS, from outside: the daemon forwarding over HTTP/2 to a real
    /// Unbound (`https-port`) with the test's own CA, on loopback; strictness as for DoT; and a
    /// config mixing `https`, `tls` and `dns` providers failing over across all three.
    @Suite("DNS over HTTPS", .serialized)
    struct EncryptedHTTPS {
        static let backupAddress: [UInt8] = [192, 0, 2, 99]

        static func httpsProvider(_ name: String, _ server: LoopbackAddress, _ certs: TestCertificates,
                                  more: [String] = []) -> DaemonConfig.Provider {
            DaemonConfig.Provider(name, [server], settings: [
                "transport = \"https\"", "tls_name = \"\(certs.serverName)\"", "tls_ca_file = \"\(certs.caFile)\"",
            ] + more)
        }

        @Test("Unbound over HTTPS: 30 names at once on one connection, one handshake, within the server's 4-stream limit")
        func unboundOverHTTP2() async throws {
            let certs = try await TestCertificates.make()
            let names = (0..<30).map { "h\($0).dot.example." }
            let unbound = try await UnboundDoTFixture.start(
                identity: certs.good, records: names.enumerated().map { "\($1) 300 IN A 192.0.2.\($0 + 1)" },
                https: true, httpMaxStreams: 4)
            var config = DaemonConfig(providers: [Self.httpsProvider("doh", unbound.tlsAddress, certs)])
            config.timeoutMs = 2000
            let daemon = try await DaemonProcess.start(config)
            let answers = try await AnsweredA.askAll(daemon, names)
            #expect(answers == names.enumerated().map { AnsweredA(name: $1, rcode: .noError, addresses: [[192, 0, 2, UInt8($0 + 1)]]) })
            let missing = try await DNSClient.query("nope.dot.example", .a, to: daemon.address, timeout: .seconds(5))
            #expect(missing.rcode == .nxDomain)
            let server = try await TLSUpstreamsView.fetch(daemon).server("doh")
            #expect(server.transport == "https")
            #expect(server.tlsHandshakes == 1)
            #expect(server.connectionsOpen == 1)
            #expect(server.lastError == nil, "no query failed at the stream limit")
            #expect(unbound.establishedConnections == 1)
            await daemon.stop()
        }

        @Test("A wrong certificate name fails the DoH server with tls:, and the next provider answers")
        func strictness() async throws {
            let certs = try await TestCertificates.make()
            let unbound = try await UnboundDoTFixture.start(
                identity: certs.wrongName, records: ["x.dot.example. 300 IN A 192.0.2.1"], https: true,
                host: EncryptedUpstreams.trapHost)
            let trap = PlaintextTrap(host: EncryptedUpstreams.trapHost, tlsPort: unbound.tlsAddress.port)
            let backup = try await EncryptedUpstreams.backup()
            let daemon = try await DaemonProcess.start(DaemonConfig(providers: [
                Self.httpsProvider("doh", unbound.tlsAddress, certs), DaemonConfig.Provider("backup", [.v4(UInt16(backup.port))]),
            ]))
            let answer = try await AnsweredA.ask(daemon, "x.dot.example.")
            #expect(answer.addresses == [Self.backupAddress])
            let view = try await TLSUpstreamsView.waitUntil(daemon, "a tls: error recorded") {
                try $0.server("doh").lastError?.hasPrefix("tls:") == true
            }
            #expect(try view.server("doh").lastError?.contains("hostname mismatch") == true)
            #expect(trap.caught() == 0, "plaintext reached \(trap.watching)")
            await daemon.stop()
        }

        @Test("https, tls and dns providers mixed: a 404 and a bad certificate fail over to plain DNS; healthy DoH answers first")
        func mixedTransportsFailOver() async throws {
            let certs = try await TestCertificates.make()
            let unbound = try await UnboundDoTFixture.start(
                identity: certs.good, records: ["m.dot.example. 300 IN A 192.0.2.7"], https: true)
            let badTLS = try await FakeDoTServer.start(identity: certs.expired)
            let backup = try await EncryptedUpstreams.backup()
            var config = DaemonConfig(providers: [
                Self.httpsProvider("doh", unbound.tlsAddress, certs, more: ["https_path = \"/no-such-path\""]),
                EncryptedUpstreams.tlsProvider("dot", badTLS.address, certs),
                DaemonConfig.Provider("plain", [.v4(UInt16(backup.port))]),
            ])
            config.timeoutMs = 1000
            let daemon = try await DaemonProcess.start(config)
            let answer = try await AnsweredA.ask(daemon, "m.dot.example.")
            #expect(answer.rcode == .noError && answer.addresses == [Self.backupAddress])
            let view = try await TLSUpstreamsView.waitUntil(daemon, "both encrypted failures recorded") {
                try $0.server("doh").lastError != nil && $0.server("dot").lastError != nil
            }
            let doh = try view.server("doh")
            #expect(doh.lastError?.contains("HTTP status 404") == true, "\(doh)")
            #expect(try view.server("dot").lastError?.contains("certificate has expired") == true)
            #expect(try view.server("doh").transport == "https" && view.server("dot").transport == "tls"
                    && view.server("plain").transport == "dns")
            #expect(badTLS.lines(startingWith: "query").isEmpty)
            await daemon.stop()

            // The same DoH server with the right path is asked first and answers.
            var healthy = config
            healthy.providers[0] = Self.httpsProvider("doh", unbound.tlsAddress, certs)
            let second = try await DaemonProcess.start(healthy)
            #expect(try await AnsweredA.ask(second, "m.dot.example.").addresses == [[192, 0, 2, 7]])
            #expect(backup.queryCount == 1, "only the first daemon's question reached plain DNS")
            await second.stop()
            await badTLS.stop()
        }
    }
}
