// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastConfig
import NetAddress
import Testing
import Foundation

/// The repository's config/holdfast.toml, found relative to this file.
enum ShippedConfig {
    static var path: String {
        var components = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)  // HoldfastConfigTests/<file>, Tests
        return (components + ["config", "holdfast.toml"]).joined(separator: "/")
    }
}

@Suite("Shipped config/holdfast.toml")
struct ShippedConfigTests {
    @Test func parsesToDefaultsPlusItsProviders() throws {
        let config = try HoldfastConfiguration.load(path: ShippedConfig.path)
        // The providers are the public ones SPEC.md names. The test reads their addresses from
        // the file's own uncommented `servers = [...]` lines rather than naming public resolver
        // addresses itself (tests only ever talk to loopback; this one talks to nothing).
        let text = try String(contentsOfFile: ShippedConfig.path, encoding: .utf8)
        let serverLines = text.split(separator: "\n").filter { $0.hasPrefix("servers = [") }
        let listed = serverLines.map { line in
            line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        }
        #expect(config.upstream.providers.map(\.name) == ["cloudflare", "quad9"])
        #expect(config.upstream.providers.map { $0.servers.map(\.description) } == listed)
        #expect(config.upstream.providers.allSatisfy { $0.servers.count == 2 && $0.servers.allSatisfy { $0.port == 53 } })
        var expected = HoldfastConfiguration()
        expected.upstream.providers = config.upstream.providers
        #expect(config == expected)
    }

    @Test func defaultsMatchTheSpec() {
        let config = HoldfastConfiguration()
        #expect(config.server.listen.map(\.description) == ["127.0.0.1:53", "[::1]:53"])
        #expect(config.server.allow.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(config.server.threads == 0)
        #expect(config.upstream.policy == .failover)
        #expect(config.upstream.timeoutMs == 1000)
        #expect(config.upstream.hedgeAfterMs == 250)
        #expect(config.upstream.failureThreshold == 3)
        #expect(config.upstream.retryBudgetPercent == 20)
        #expect(config.upstream.probeIntervalS == 5)
        #expect(config.upstream.maxInFlight == 10_000)
        #expect(config.cache.maxEntries == 200_000)
        #expect(config.cache.maxTTLSeconds == 86_400)
        #expect(config.cache.negativeMaxTTLSeconds == 3_600)
        #expect(config.cache.failureTTLSeconds == 5)
        #expect(config.cache.failureMaxTTLSeconds == 60)
        #expect(config.cache.persistPath == "/var/lib/holdfast/cache.bin")
        #expect(config.cache.stale == StaleSection(enabled: true, answerTTLSeconds: 30, maxAgeSeconds: 86_400, clientTimeoutMs: 1_800))
        #expect(config.control.socket == "/run/holdfast/control.sock")
        #expect(config.control.metricsListen == nil)
        #expect(config.log.queries == false)
    }

    /// Every example commented out in the shipped file is valid when uncommented.
    @Test func commentedExamplesAreValid() throws {
        let shipped = try String(contentsOfFile: ShippedConfig.path, encoding: .utf8)
        let config = try HoldfastConfiguration.parse(Self.uncommentingExamples(shipped), file: "examples.toml")
        #expect(config.upstream.providers.map(\.name) == ["cloudflare", "quad9", "cloudflare-tls", "quad9-tls", "cluster", "cloudflare-https", "corp"])
        let tcp = try #require(config.upstream.providers.first { $0.transport == .tcp })
        #expect(tcp.servers.allSatisfy { $0.port == 53 } && tcp.tls == nil)
        let tls = config.upstream.providers.filter { $0.transport == .tls }
        #expect(tls.map { $0.tls?.name } == ["cloudflare-dns.com", "dns.quad9.net"])
        #expect(tls.allSatisfy { $0.tls?.verify == true && $0.tls?.caFile == "" && $0.servers.allSatisfy { $0.port == 853 } })
        let https = try #require(config.upstream.providers.first { $0.transport == .https })
        #expect(https.tls?.name == "cloudflare-dns.com" && https.tls?.httpsPath == "/dns-query")
        #expect(https.servers.allSatisfy { $0.port == 443 })
        #expect(config.routes == [RouteSection(domains: [try DNSName("corp.example")], providers: ["corp"])])
        #expect(config.local == [DNSRecord(name: try DNSName("router.lan"), type: .a, ttl: 300, data: .a([192, 168, 1, 1]))])
    }

    /// `text` with the `# [[...]]` example blocks uncommented.
    static func uncommentingExamples(_ text: String) -> String {
        var out: [Substring] = []
        var inExample = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# [[") { inExample = true }
            if inExample && line.hasPrefix("# ") {
                out.append(line.dropFirst(2))
            } else {
                inExample = false
                out.append(line)
            }
        }
        return out.joined(separator: "\n")
    }
}
