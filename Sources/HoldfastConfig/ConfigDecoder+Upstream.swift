// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Glibc
import NetAddress

extension ConfigDecoder {
    // MARK: [upstream]

    func decodeUpstream(_ reader: TableReader?) throws(ConfigError) -> UpstreamSection {
        let defaults = UpstreamSection()
        guard let reader else {
            throw context.error("upstream.provider", "at least one provider is required")
        }
        try reader.rejectUnknownKeys(allowed: [
            "policy", "timeout_ms", "hedge_after_ms", "failure_threshold", "probe_interval_s",
            "randomize_case", "rotate_after_queries", "retry_budget_percent", "retry_budget_min_per_s", "tls_idle_timeout_ms",
            "max_in_flight", "provider",
        ])
        var section = defaults
        if let policy = try reader.string("policy") {
            guard let parsed = UpstreamPolicy(rawValue: policy) else {
                let choices = UpstreamPolicy.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error("policy", "unknown policy \"\(policy)\": expected one of \(choices)")
            }
            section.policy = parsed
        }
        section.timeoutMs = try reader.int("timeout_ms", default: defaults.timeoutMs, in: 1...60_000)
        section.hedgeAfterMs = try reader.int("hedge_after_ms", default: defaults.hedgeAfterMs, in: 0...60_000)
        section.failureThreshold = try reader.int(
            "failure_threshold", default: defaults.failureThreshold, in: 1...1_000)
        section.probeIntervalS = try reader.int(
            "probe_interval_s", default: defaults.probeIntervalS, in: 1...86_400)
        section.randomizeCase = try reader.bool("randomize_case", default: defaults.randomizeCase)
        section.rotateAfterQueries = try reader.int(
            "rotate_after_queries", default: defaults.rotateAfterQueries, in: 0...2_147_483_647)
        section.retryBudgetPercent = try reader.int(
            "retry_budget_percent", default: defaults.retryBudgetPercent, in: 0...1_000)
        section.retryBudgetMinPerS = try reader.int(
            "retry_budget_min_per_s", default: defaults.retryBudgetMinPerS, in: 0...100_000)
        section.tlsIdleTimeoutMs = try reader.int(
            "tls_idle_timeout_ms", default: defaults.tlsIdleTimeoutMs, in: 0...3_600_000)
        section.maxInFlight = try reader.int("max_in_flight", default: defaults.maxInFlight, in: 1...1_000_000)
        section.providers = try decodeProviders(try reader.tables("provider"), parent: reader)
        return section
    }

    private func decodeProviders(
        _ readers: [TableReader], parent: TableReader
    ) throws(ConfigError) -> [ProviderSection] {
        if readers.isEmpty {
            throw parent.error("provider", "at least one provider is required")
        }
        var providers: [ProviderSection] = []
        var namePaths: [String: String] = [:]
        var serverPaths: [HostPort: String] = [:]
        for reader in readers {
            try reader.rejectUnknownKeys(allowed: [
                "name", "servers", "transport", "tls_name", "tls_verify", "tls_ca_file", "tls_pins", "https_path",
            ])
            let name = try reader.requiredString("name")
            if name.isEmpty { throw reader.error("name", "must not be empty") }
            if !name.utf8.allSatisfy(Self.isProviderNameByte) {
                throw reader.error(
                    "name", "\"\(name)\" may contain only letters, digits, \"-\", \"_\" and \".\"")
            }
            if let first = namePaths[name] {
                throw reader.error("name", "provider \"\(name)\" is defined twice (also at \(first))")
            }
            namePaths[name] = reader.keyPath("name")
            guard let entries = try reader.strings("servers") else {
                throw reader.error("servers", "is required")
            }
            if entries.isEmpty { throw reader.error("servers", "at least one server is required") }
            let (transport, tls) = try decodeTransport(reader)
            let servers = try hostPorts(entries, defaultPort: transport.defaultPort, allowPortZero: false)
            for (server, entry) in zip(servers, entries) {
                if server.addressBytes.allSatisfy({ $0 == 0 }) {
                    throw context.error(entry.keyPath, "\(server) is the unspecified address, not a server")
                }
                // The same server may serve two providers (e.g. a shared resolver), but not
                // twice in one provider.
                if let first = serverPaths[server], first.hasPrefix(reader.keyPath("servers")) {
                    throw context.error(entry.keyPath, "\(server) is already a server at \(first)")
                }
                serverPaths[server] = entry.keyPath
            }
            providers.append(ProviderSection(name: name, servers: servers, transport: transport, tls: tls))
        }
        return providers
    }

    /// `transport` and the TLS keys of one provider: TLS keys only with `tls`/`https`, `tls_name`
    /// required unless `tls_verify = false`, pins base64 SHA-256, a readable CA file.
    private func decodeTransport(_ reader: TableReader) throws(ConfigError) -> (ProviderTransport, ProviderTLSSection?) {
        var transport = ProviderTransport.dns
        if let text = try reader.string("transport") {
            guard let parsed = ProviderTransport(rawValue: text) else {
                let choices = ProviderTransport.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error("transport", "unknown transport \"\(text)\": expected one of \(choices)")
            }
            transport = parsed
        }
        let tlsKeys = ["tls_name", "tls_verify", "tls_ca_file", "tls_pins"]
        switch transport {
        case .dns, .tcp:
            let plain = transport == .tcp ? "plain DNS over TCP" : "plain DNS"
            for key in tlsKeys + ["https_path"] where reader.has(key) {
                throw reader.error(key, "applies only to transport = \"tls\" or \"https\"; this provider uses \(plain)")
            }
            return (transport, nil)
        case .https:
            break
        case .tls:
            if reader.has("https_path") { throw reader.error("https_path", "applies only to transport = \"https\"") }
        }
        var tls = ProviderTLSSection()
        if transport == .https {
            tls.httpsPath = try reader.string("https_path") ?? tls.httpsPath
            if !tls.httpsPath.hasPrefix("/") || tls.httpsPath.contains(where: { $0 == " " || $0 == "?" || $0 == "#" }) {
                throw reader.error("https_path", "\"\(tls.httpsPath)\" must be a URI path starting with \"/\" (no spaces, query or fragment)")
            }
        }
        tls.verify = try reader.bool("tls_verify", default: true)
        tls.name = try reader.string("tls_name") ?? ""
        if tls.name.isEmpty && tls.verify {
            throw reader.error("tls_name", "is required with transport = \"\(transport.rawValue)\" (the name the server's certificate must carry), unless tls_verify = false")
        }
        if !tls.name.isEmpty, case .failure(let problem) = DomainNames.parse(tls.name), !Self.isIPLiteral(tls.name) {
            throw reader.error("tls_name", "\"\(tls.name)\" is not a host name: \(problem.message)")
        }
        tls.caFile = try reader.string("tls_ca_file") ?? ""
        if !tls.caFile.isEmpty {
            if let problem = Self.caFileProblem(tls.caFile) { throw reader.error("tls_ca_file", problem) }
        }
        for entry in try reader.strings("tls_pins") ?? [] {
            guard let digest = Base64.decode(entry.value), digest.count == 32 else {
                throw context.error(entry.keyPath, "\"\(entry.value)\" is not a base64 SHA-256 digest (44 characters, 32 bytes)")
            }
            tls.pins.append(digest)
        }
        return (transport, tls)
    }

    private static func isIPLiteral(_ text: String) -> Bool {
        (try? IPAddress(parsing: text)) != nil
    }

    /// Why `path` cannot serve as a CA file, or nil when it is a readable PEM file.
    private static func caFileProblem(_ path: String) -> String? {
        guard let file = fopen(path, "r") else {
            return "cannot read \"\(path)\": \(String(cString: strerror(errno)))"
        }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = fread(&buffer, 1, buffer.count, file)
        let text = String(decoding: buffer.prefix(count), as: UTF8.self)
        return text.contains("-----BEGIN CERTIFICATE-----") ? nil : "\"\(path)\" holds no PEM certificate"
    }

    private static func isProviderNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    // MARK: [[route]]

    func decodeRoutes(
        _ readers: [TableReader], providers: [ProviderSection]
    ) throws(ConfigError) -> [RouteSection] {
        let known = providers.map(\.name)
        var routes: [RouteSection] = []
        var domainPaths: [DNSName: String] = [:]
        var routed: Set<String> = []
        for reader in readers {
            try reader.rejectUnknownKeys(allowed: ["domains", "providers"])
            guard let domainEntries = try reader.strings("domains") else {
                throw reader.error("domains", "is required")
            }
            if domainEntries.isEmpty { throw reader.error("domains", "at least one domain is required") }
            var domains: [DNSName] = []
            for entry in domainEntries {
                if entry.value.hasPrefix("*.") {
                    throw context.error(
                        entry.keyPath,
                        "\"\(entry.value)\": routes already cover names under a domain; write it without \"*.\"")
                }
                let domain: DNSName
                switch DomainNames.parse(entry.value) {
                case .success(let name): domain = name
                case .failure(let problem): throw context.error(entry.keyPath, problem.message)
                }
                if let first = domainPaths[domain] {
                    throw context.error(entry.keyPath, "\"\(DomainNames.text(domain))\" is already routed at \(first)")
                }
                domainPaths[domain] = entry.keyPath
                domains.append(domain)
            }
            guard let providerEntries = try reader.strings("providers") else {
                throw reader.error("providers", "is required")
            }
            if providerEntries.isEmpty {
                throw reader.error("providers", "at least one provider is required")
            }
            var names: [String] = []
            for entry in providerEntries {
                guard known.contains(entry.value) else {
                    throw context.error(
                        entry.keyPath,
                        "unknown provider \"\(entry.value)\" (defined: \(known.joined(separator: ", ")))")
                }
                if !names.contains(entry.value) { names.append(entry.value) }
                routed.insert(entry.value)
            }
            routes.append(RouteSection(domains: domains, providers: names))
        }
        if !routes.isEmpty && known.allSatisfy(routed.contains) {
            throw context.error(
                "route",
                "every provider is named in a route, so none is left for names outside the routes; add a provider that no route names")
        }
        return routes
    }
}
