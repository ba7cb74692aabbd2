// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Names answered locally and never forwarded: the operator's `[[local]]` records plus the
/// special-use names of RFC 6761 (`localhost.` and below, its reverse names, `invalid.`).
public struct LocalZone: Sendable {
    /// What the zone says about a question.
    public enum Answer: Sendable, Equatable {
        /// Records for the question (possibly empty: the name exists, the type does not).
        case records([DNSRecord])
        case nxDomain
    }

    private var records: [DNSName: [DNSRecord]] = [:]
    private static let localhost = (try? DNSName("localhost.")) ?? .root
    private static let invalid = (try? DNSName("invalid.")) ?? .root
    private static let reverseV4 = (try? DNSName("1.0.0.127.in-addr.arpa.")) ?? .root
    private static let reverseV6 = (try? DNSName(
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.")) ?? .root

    /// Builds the zone from operator records (already validated by the config layer).
    public init(records operatorRecords: [DNSRecord]) {
        for record in operatorRecords {
            records[record.name, default: []].append(record)
        }
    }

    /// The local answer for `question`, or nil when the question must go upstream.
    public func answer(for question: DNSQuestion) -> Answer? {
        let name = question.name
        if !records.isEmpty, let owned = records[name] {
            let matching = owned.filter { $0.type == question.type || question.type == .any }
            if !matching.isEmpty { return .records(matching.map { renamed($0, to: name) }) }
            let aliases = owned.filter { $0.type == .cname }
            return .records(aliases.map { renamed($0, to: name) })
        }
        if name.isSubdomain(of: Self.invalid) { return .nxDomain }
        if name.isSubdomain(of: Self.localhost) {
            switch question.type {
            case .a: return .records([DNSRecord(name: name, type: .a, ttl: 0, data: .a([127, 0, 0, 1]))])
            case .aaaa:
                return .records([DNSRecord(name: name, type: .aaaa, ttl: 0, data: .aaaa([UInt8](repeating: 0, count: 15) + [1]))])
            default: return .records([])
            }
        }
        if name == Self.reverseV4 || name == Self.reverseV6 {
            guard question.type == .ptr || question.type == .any else { return .records([]) }
            return .records([DNSRecord(name: name, type: .ptr, ttl: 0, data: .name(Self.localhost))])
        }
        return nil
    }

    /// Keeps the client's spelling of the owner name in the answer.
    private func renamed(_ record: DNSRecord, to name: DNSName) -> DNSRecord {
        var copy = record
        copy.name = name
        return copy
    }
}
