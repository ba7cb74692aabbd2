// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import NetAddress

extension ConfigDecoder {
    // MARK: [cache], [cache.stale]

    func decodeCache(_ reader: TableReader?) throws(ConfigError) -> CacheSection {
        let defaults = CacheSection()
        guard let reader else { return defaults }
        try reader.rejectUnknownKeys(allowed: [
            "max_entries", "min_ttl_s", "max_ttl_s", "negative_max_ttl_s", "prefetch",
            "persist_path", "persist_interval_s", "failure_ttl_s", "failure_max_ttl_s", "stale",
        ])
        var section = defaults
        section.maxEntries = try reader.int("max_entries", default: defaults.maxEntries, in: 1...100_000_000)
        section.minTTLSeconds = try reader.int("min_ttl_s", default: defaults.minTTLSeconds, in: 0...Self.maxTTL)
        section.maxTTLSeconds = try reader.int("max_ttl_s", default: defaults.maxTTLSeconds, in: 1...Self.maxTTL)
        if section.minTTLSeconds > section.maxTTLSeconds {
            throw reader.error(
                "min_ttl_s",
                "must not exceed max_ttl_s (\(section.minTTLSeconds) > \(section.maxTTLSeconds))")
        }
        section.negativeMaxTTLSeconds = try reader.int(
            "negative_max_ttl_s", default: defaults.negativeMaxTTLSeconds, in: 0...Self.maxTTL)
        section.prefetch = try reader.bool("prefetch", default: defaults.prefetch)
        if let path = try reader.string("persist_path") {
            if path.hasSuffix("/") {
                throw reader.error("persist_path", "\"\(path)\" names a directory; give a file path, or \"\" to turn persistence off")
            }
            section.persistPath = path
        }
        section.persistIntervalSeconds = try reader.int(
            "persist_interval_s", default: defaults.persistIntervalSeconds, in: 1...604_800)
        section.failureTTLSeconds = try reader.int("failure_ttl_s", default: defaults.failureTTLSeconds, in: 0...3_600)
        section.failureMaxTTLSeconds = try reader.int(
            "failure_max_ttl_s", default: max(defaults.failureMaxTTLSeconds, section.failureTTLSeconds), in: 0...86_400)
        if section.failureMaxTTLSeconds < section.failureTTLSeconds {
            throw reader.error(
                "failure_max_ttl_s",
                "must not be below failure_ttl_s (\(section.failureMaxTTLSeconds) < \(section.failureTTLSeconds))")
        }
        section.stale = try decodeStale(try reader.table("stale"))
        return section
    }

    private func decodeStale(_ reader: TableReader?) throws(ConfigError) -> StaleSection {
        let defaults = StaleSection()
        guard let reader else { return defaults }
        try reader.rejectUnknownKeys(allowed: ["enabled", "answer_ttl_s", "max_age_s", "client_timeout_ms"])
        return StaleSection(
            enabled: try reader.bool("enabled", default: defaults.enabled),
            answerTTLSeconds: try reader.int("answer_ttl_s", default: defaults.answerTTLSeconds, in: 0...Self.maxTTL),
            maxAgeSeconds: try reader.int("max_age_s", default: defaults.maxAgeSeconds, in: 0...Self.maxTTL),
            clientTimeoutMs: try reader.int(
                "client_timeout_ms", default: defaults.clientTimeoutMs, in: 1...60_000))
    }

    // MARK: [resilience]

    func decodeResilience(_ reader: TableReader?) throws(ConfigError) -> ResilienceSection {
        guard let reader else { return ResilienceSection() }
        try reader.rejectUnknownKeys(allowed: ["last_known_good", "collapse_hold_s"])
        let collapseHold = try reader.int("collapse_hold_s", default: ResilienceSection().collapseHoldSeconds, in: 0...31_536_000)
        var patterns: [ResilienceSection.Pattern] = []
        for entry in try reader.strings("last_known_good") ?? [] {
            var text = Substring(entry.value)
            let wildcard = text.hasPrefix("*.")
            if wildcard { text = text.dropFirst(2) }
            if text.contains("*") {
                throw context.error(
                    entry.keyPath, "\"\(entry.value)\": \"*\" is allowed only as a leading \"*.\"")
            }
            switch DomainNames.parse(String(text)) {
            case .success(let name):
                let pattern = ResilienceSection.Pattern(name, coversSubdomains: wildcard)
                if !patterns.contains(pattern) { patterns.append(pattern) }
            case .failure(let problem):
                throw context.error(entry.keyPath, entry.value.isEmpty ? "must not be empty" : problem.message)
            }
        }
        return ResilienceSection(lastKnownGood: patterns, collapseHoldSeconds: collapseHold)
    }

    // MARK: [[local]]

    func decodeLocal(_ readers: [TableReader]) throws(ConfigError) -> [DNSRecord] {
        var records: [DNSRecord] = []
        var cnamePaths: [DNSName: String] = [:]
        var otherPaths: [DNSName: String] = [:]
        for reader in readers {
            try reader.rejectUnknownKeys(allowed: ["name", "type", "data", "ttl_s"])
            let name: DNSName
            switch DomainNames.parse(try reader.requiredString("name")) {
            case .success(let parsed): name = parsed
            case .failure(let problem): throw reader.error("name", problem.message)
            }
            let rawType = try reader.requiredString("type")
            guard let type = LocalRecords.supportedTypes.first(where: { $0.description == rawType.uppercased() }) else {
                let choices = LocalRecords.supportedTypes.map(\.description).joined(separator: ", ")
                throw reader.error("type", "unknown record type \"\(rawType)\": expected one of \(choices)")
            }
            let data = try localData(try reader.requiredString("data"), type: type, reader: reader)
            let ttl = try reader.int("ttl_s", default: 300, in: 0...Self.maxTTL)
            // RFC 1034 3.6.2: a name with a CNAME has no other data.
            let shown = DomainNames.text(name)
            if type == .cname {
                if let other = otherPaths[name] ?? cnamePaths[name] {
                    throw reader.error("type", "\(shown) already has a record at \(other); a CNAME must be its only record")
                }
                cnamePaths[name] = reader.path
            } else {
                if let cname = cnamePaths[name] {
                    throw reader.error("type", "\(shown) has a CNAME at \(cname), so it can have no other records")
                }
                otherPaths[name] = otherPaths[name] ?? reader.path
            }
            records.append(DNSRecord(name: name, type: type, ttl: UInt32(ttl), data: data))
        }
        return records
    }

    /// Validates `data` for `type` and returns it as record data.
    private func localData(_ data: String, type: DNSType, reader: TableReader) throws(ConfigError) -> DNSRData {
        func name(_ text: String) throws(ConfigError) -> DNSName {
            switch DomainNames.parse(text) {
            case .success(let parsed): return parsed
            case .failure(let problem): throw reader.error("data", "expected a name for \(type): \(problem.message)")
            }
        }
        switch type {
        case .a, .aaaa:
            let address: IPAddress
            do {
                address = try IPAddress(parsing: data)
            } catch {
                throw reader.error("data", "expected an \(type == .a ? "IPv4" : "IPv6") address: \(error.description)")
            }
            let wanted: IPFamily = type == .a ? .v4 : .v6
            guard address.family == wanted else {
                throw reader.error("data", "\"\(data)\" is an \(address.family) address; a \(type) record needs \(wanted)")
            }
            return type == .a ? .a(address.bytes) : .aaaa(address.bytes)
        case .cname, .ptr:
            return .name(try name(data))
        case .mx:
            let parts = data.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2, let preference = Int(parts[0]), let preference = UInt16(exactly: preference) else {
                throw reader.error("data", "expected \"<preference 0-65535> <name>\" for MX, e.g. \"10 mail.lan\", found \"\(data)\"")
            }
            return .mx(preference: preference, exchange: try name(String(parts[1])))
        default:  // TXT: any text, split into character strings of at most 255 bytes.
            let bytes = Array(data.utf8)
            if bytes.count > LocalRecords.maxTXTBytes {
                throw reader.error("data", "TXT data is longer than \(LocalRecords.maxTXTBytes) bytes")
            }
            return .txt(stride(from: 0, to: max(bytes.count, 1), by: 255).map { Array(bytes[$0..<min($0 + 255, bytes.count)]) })
        }
    }
}
