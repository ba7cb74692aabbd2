// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import DNSWire
import HoldfastConfig
import NetAddress
import Testing

@Suite("Config values and normalisation")
struct ConfigParsingTests {
    static let full = """
        [server]
        listen = ["127.0.0.1:5353", "::1", "127.0.0.2:0"]
        allow = ["127.0.0.1", "::1/128", "10.1.2.3/8"]
        threads = 2
        tcp_idle_timeout_ms = 5000
        tcp_max_connections = 64
        rate_limit_qps = 100
        rate_limit_burst = 0
        user = "holdfast"

        [upstream]
        policy = "race"
        timeout_ms = 800
        hedge_after_ms = 0
        failure_threshold = 2
        probe_interval_s = 10
        randomize_case = false
        rotate_after_queries = 0

        [[upstream.provider]]
        name = "one"
        servers = ["127.0.0.1:5301", "[::1]:5301"]

        [[upstream.provider]]
        name = "two"
        servers = ["127.0.0.2"]

        [[route]]
        domains = ["Corp.Example.", "lab.test"]
        providers = ["two", "two"]

        [cache]
        max_entries = 10
        min_ttl_s = 5
        max_ttl_s = 600
        negative_max_ttl_s = 0
        prefetch = false
        persist_path = ""
        persist_interval_s = 60
        failure_ttl_s = 2
        failure_max_ttl_s = 30

        [cache.stale]
        enabled = false
        answer_ttl_s = 1
        max_age_s = 0
        client_timeout_ms = 400

        [resilience]
        last_known_good = ["API.Example.com.", "*.Internal.Example.com", "api.example.com"]

        [[local]]
        name = "Router.LAN."
        type = "a"
        data = "127.0.0.53"

        [[local]]
        name = "v6.lan"
        type = "AAAA"
        data = "0:0::1"
        ttl_s = 60

        [[local]]
        name = "mail.lan"
        type = "MX"
        data = "10   Smtp.LAN."

        [[local]]
        name = "www.lan"
        type = "CNAME"
        data = "router.lan"

        [[local]]
        name = "53.0.0.127.in-addr.arpa"
        type = "PTR"
        data = "router.lan."

        [[local]]
        name = "txt.lan"
        type = "TXT"
        data = "v=spf1 -all"

        [control]
        socket = "/tmp/holdfast-test.sock"
        metrics_listen = "[::1]:9153"

        [log]
        queries = true
        """

    @Test func everyKeyIsRead() throws {
        let config = try HoldfastConfiguration.parse(Self.full, file: "full.toml")
        let s = config.server
        #expect(s.listen.map(\.description) == ["127.0.0.1:5353", "[::1]:53", "127.0.0.2:0"])
        #expect(s.allow.map(\.description) == ["127.0.0.1/32", "::1/128", "10.0.0.0/8"])
        #expect(s.threads == 2 && s.tcpIdleTimeoutMs == 5000 && s.tcpMaxConnections == 64)
        #expect(s.rateLimitQPS == 100 && s.rateLimitBurst == 0 && s.effectiveRateLimitBurst == 100)
        #expect(s.user == "holdfast")
        #expect(s.allowList.contains([127, 0, 0, 1]) && !s.allowList.contains([127, 0, 0, 2]))

        let u = config.upstream
        #expect(u == UpstreamSection(
            policy: .race, timeoutMs: 800, hedgeAfterMs: 0, failureThreshold: 2, probeIntervalS: 10,
            randomizeCase: false, rotateAfterQueries: 0,
            providers: [
                ProviderSection(name: "one", servers: [try HostPort(parsing: "127.0.0.1:5301"), try HostPort(parsing: "[::1]:5301")]),
                ProviderSection(name: "two", servers: [try HostPort(parsing: "127.0.0.2:53")]),
            ]))
        #expect(config.routes == [RouteSection(domains: [try DNSName("corp.example"), try DNSName("lab.test")], providers: ["two"])])
        // Typed once, lowercase (DNSName equality ignores case; its text does not).
        #expect(config.routes[0].domains.map(\.description) == ["corp.example.", "lab.test."])
        #expect(config.cache == CacheSection(
            maxEntries: 10, minTTLSeconds: 5, maxTTLSeconds: 600, negativeMaxTTLSeconds: 0, prefetch: false,
            persistPath: "", persistIntervalSeconds: 60, failureTTLSeconds: 2, failureMaxTTLSeconds: 30,
            stale: StaleSection(enabled: false, answerTTLSeconds: 1, maxAgeSeconds: 0, clientTimeoutMs: 400)))
        #expect(!config.cache.persistenceEnabled)
        #expect(config.resilience.lastKnownGood == [
            .init(try DNSName("api.example.com")), .init(try DNSName("internal.example.com"), coversSubdomains: true),
        ])
        #expect(config.resilience.lastKnownGood.map(\.description) == ["api.example.com", "*.internal.example.com"])
        let router = try DNSName("router.lan")
        #expect(config.local == [
            DNSRecord(name: router, type: .a, ttl: 300, data: .a([127, 0, 0, 53])),
            DNSRecord(name: try DNSName("v6.lan"), type: .aaaa, ttl: 60, data: .aaaa([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            DNSRecord(name: try DNSName("mail.lan"), type: .mx, ttl: 300, data: .mx(preference: 10, exchange: try DNSName("smtp.lan"))),
            DNSRecord(name: try DNSName("www.lan"), type: .cname, ttl: 300, data: .name(router)),
            DNSRecord(name: try DNSName("53.0.0.127.in-addr.arpa"), type: .ptr, ttl: 300, data: .name(router)),
            DNSRecord(name: try DNSName("txt.lan"), type: .txt, ttl: 300, data: .txt([Array("v=spf1 -all".utf8)])),
        ])
        #expect(config.local.map(\.description) == [
            "router.lan. 300 IN A 127.0.0.53", "v6.lan. 60 IN AAAA ::1", "mail.lan. 300 IN MX 10 smtp.lan.",
            "www.lan. 300 IN CNAME router.lan.", "53.0.0.127.in-addr.arpa. 300 IN PTR router.lan.",
            "txt.lan. 300 IN TXT \"v=spf1 -all\"",
        ])
        #expect(config.control == ControlSection(socket: "/tmp/holdfast-test.sock", metricsListen: try HostPort(parsing: "[::1]:9153")))
        #expect(config.log.queries)
    }

    @Test func tlsProvidersAreRead() throws {
        // The pin is base64 of 32 bytes 0x00...0x1f.
        let pin = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        // The config checks only that the CA file is readable PEM; OpenSSL parses it later.
        let caFile = FileManager.default.temporaryDirectory.appendingPathComponent("holdfast-test-ca-\(getpid()).pem").path
        try "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n".write(toFile: caFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: caFile) }
        let text = """
            [upstream]
            tls_idle_timeout_ms = 2500
            [[upstream.provider]]
            name = "strict"
            transport = "tls"
            servers = ["127.0.0.1", "[::1]:8853"]
            tls_name = "dot.test"
            tls_ca_file = "\(caFile)"
            tls_pins = ["\(pin)"]
            [[upstream.provider]]
            name = "opportunistic"
            transport = "tls"
            servers = ["127.0.0.2"]
            tls_verify = false
            [[upstream.provider]]
            name = "plain"
            transport = "dns"
            servers = ["127.0.0.3"]
            """
        let config = try HoldfastConfiguration.parse(text, file: "tls.toml")
        #expect(config.upstream.tlsIdleTimeoutMs == 2500)
        let providers = config.upstream.providers
        #expect(providers.map(\.transport) == [.tls, .tls, .dns])
        #expect(providers[0].servers.map(\.description) == ["127.0.0.1:853", "[::1]:8853"])
        #expect(providers[0].tls == ProviderTLSSection(
            name: "dot.test", verify: true, caFile: caFile, pins: [Array(0..<32)]))
        #expect(providers[1].tls == ProviderTLSSection(name: "", verify: false))
        #expect(providers[2].tls == nil && providers[2].servers.map(\.port) == [53])
    }

    @Test func tcpProvidersAndMaxInFlightAreRead() throws {
        let text = """
            [upstream]
            max_in_flight = 500
            [[upstream.provider]]
            name = "cluster"
            transport = "tcp"
            servers = ["127.0.0.1", "[::1]:5353"]
            [[upstream.provider]]
            name = "plain"
            servers = ["127.0.0.3"]
            """
        let config = try HoldfastConfiguration.parse(text, file: "tcp.toml")
        #expect(config.upstream.maxInFlight == 500)
        #expect(config.upstream.providers.map(\.transport) == [.tcp, .dns])
        #expect(config.upstream.providers[0].servers.map(\.description) == ["127.0.0.1:53", "[::1]:5353"], "port 53 by default")
        #expect(config.upstream.providers[0].tls == nil)
        let defaults = try HoldfastConfiguration.parse("[[upstream.provider]]\nname = \"p\"\nservers = [\"127.0.0.1\"]\n", file: "d.toml")
        #expect(defaults.upstream.maxInFlight == 10_000)
    }

    /// TXT data becomes character strings of at most 255 bytes in the config layer, so the
    /// daemon hands the records over as they are.
    @Test func longTXTIsSplitIntoCharacterStrings() throws {
        let text = String(repeating: "x", count: 300)
        let config = try HoldfastConfiguration.parse(
            "[[upstream.provider]]\nname = \"p\"\nservers = [\"127.0.0.1\"]\n[[local]]\nname = \"t.lan\"\ntype = \"txt\"\ndata = \"\(text)\"\n",
            file: "txt.toml")
        #expect(config.local.map(\.data) == [.txt([Array(repeating: UInt8(ascii: "x"), count: 255), Array(repeating: UInt8(ascii: "x"), count: 45)])])
    }

    @Test func missingSectionsTakeDefaults() throws {
        let config = try HoldfastConfiguration.parse(
            "[[upstream.provider]]\nname = \"p\"\nservers = [\"127.0.0.1:5301\"]\n", file: "min.toml")
        var expected = HoldfastConfiguration()
        expected.upstream.providers = [ProviderSection(name: "p", servers: [try HostPort(parsing: "127.0.0.1:5301")])]
        #expect(config == expected)
    }

    @Test func inlineTablesAndDottedKeysAreAccepted() throws {
        let config = try HoldfastConfiguration.parse(
            """
            cache.stale.answer_ttl_s = 7
            upstream = { provider = [{ name = "p", servers = ["127.0.0.1:5301"] }] }
            """, file: "inline.toml")
        #expect(config.cache.stale.answerTTLSeconds == 7)
        #expect(config.upstream.providers.map(\.name) == ["p"])
    }
}
