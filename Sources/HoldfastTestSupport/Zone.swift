// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The text of one authoritative zone for nsd: SOA and NS at the apex plus the records a test
/// adds. Owner names are relative to the origin unless they end in a dot ("@" is the apex).
public struct Zone: Sendable {
    /// One line of the zone: owner, TTL (nil = the zone default), type and RDATA text.
    public struct Record: Sendable {
        public var owner: String
        public var ttl: UInt32?
        public var type: String
        public var data: String

        public init(_ owner: String, _ type: String, _ data: String, ttl: UInt32? = nil) {
            self.owner = owner
            self.ttl = ttl
            self.type = type
            self.data = data
        }
    }

    /// The apex with a trailing dot, e.g. "example.test.".
    public var origin: String
    public var defaultTTL: UInt32
    /// SOA minimum: the negative-caching TTL (RFC 2308).
    public var negativeTTL: UInt32
    public var records: [Record]

    public init(origin: String, defaultTTL: UInt32 = 300, negativeTTL: UInt32 = 60, records: [Record] = []) {
        self.origin = origin.hasSuffix(".") ? origin : origin + "."
        self.defaultTTL = defaultTTL
        self.negativeTTL = negativeTTL
        self.records = records
    }

    /// Adds one record.
    public mutating func add(_ owner: String, _ type: String, _ data: String, ttl: UInt32? = nil) {
        records.append(Record(owner, type, data, ttl: ttl))
    }

    /// The zone name without the trailing dot.
    public var name: String { String(origin.dropLast()) }

    /// The zone file text.
    public var text: String {
        var lines = [
            "$ORIGIN \(origin)",
            "$TTL \(defaultTTL)",
            "@ IN SOA ns1 hostmaster 1 3600 600 86400 \(negativeTTL)",
            "@ IN NS ns1",
            "ns1 IN A 127.0.0.1",
        ]
        for record in records {
            let ttl = record.ttl.map { " \($0)" } ?? ""
            lines.append("\(record.owner)\(ttl) IN \(record.type) \(record.data)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension Zone {
    /// Number of A records at `big.<origin>` in `standard`: their answer exceeds 1232 bytes.
    public static let bigRecordCount = 100

    /// `example.test` with the records the integration tests use:
    /// - `www`: A 192.0.2.1, AAAA 2001:db8::1; `@`: MX 10 mail, TXT "holdfast test zone";
    ///   `mail`: A 192.0.2.25; `alias`: CNAME www
    /// - `big`: `bigRecordCount` A records 198.18.0.1... (UDP answer > 1232 bytes: TC)
    /// - `longtxt`: one TXT of 8 strings x 200 bytes (1600 bytes)
    /// Any other name under it is NXDOMAIN.
    public static func standard(origin: String = "example.test") -> Zone {
        var zone = Zone(origin: origin)
        zone.add("www", "A", "192.0.2.1")
        zone.add("www", "AAAA", "2001:db8::1")
        zone.add("@", "MX", "10 mail")
        zone.add("@", "TXT", "\"holdfast test zone\"")
        zone.add("mail", "A", "192.0.2.25")
        zone.add("alias", "CNAME", "www")
        for index in 0..<bigRecordCount {
            zone.add("big", "A", "198.18.\(index / 250).\(index % 250 + 1)")
        }
        let chunk = "\"" + String(repeating: "x", count: 200) + "\""
        zone.add("longtxt", "TXT", Array(repeating: chunk, count: 8).joined(separator: " "))
        return zone
    }
}
