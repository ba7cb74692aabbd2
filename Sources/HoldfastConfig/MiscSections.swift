import NetAddress

/// `[resilience]`: names that keep their last positive answer when upstreams turn it away.
public struct ResilienceSection: Sendable, Equatable {
    /// `last_known_good`: normalised patterns (lowercase, no trailing dot): `name` matches
    /// itself, `*.suffix` matches names below suffix.
    public var lastKnownGood: [String]

    public init(lastKnownGood: [String] = []) {
        self.lastKnownGood = lastKnownGood
    }
}

/// One `[[local]]` record, answered locally and never forwarded.
public struct LocalRecordSection: Sendable, Equatable {
    /// The record types `[[local]]` accepts.
    public static let supportedTypes = ["A", "AAAA", "CNAME", "TXT", "PTR", "MX"]

    /// `name`: normalised (lowercase, no trailing dot).
    public var name: String
    /// `type`: one of `supportedTypes`, uppercase.
    public var type: String
    /// `data`, validated for `type`: A/AAAA an address in canonical form; CNAME/PTR a name
    /// (normalised); MX `"<preference> <name>"` (normalised to one space); TXT the text as written.
    public var data: String
    /// `ttl_s`.
    public var ttlSeconds: Int

    public init(name: String, type: String, data: String, ttlSeconds: Int = 300) {
        self.name = name
        self.type = type
        self.data = data
        self.ttlSeconds = ttlSeconds
    }
}

/// `[control]`: the control socket and the optional TCP metrics listener.
public struct ControlSection: Sendable, Equatable {
    /// `socket`: path of the HTTP/1.1 Unix control socket.
    public var socket: String
    /// `metrics_listen`: also serve GET /metrics and /health over TCP here; nil (`""`) = off.
    public var metricsListen: HostPort?

    public init(socket: String = "/run/holdfast/control.sock", metricsListen: HostPort? = nil) {
        self.socket = socket
        self.metricsListen = metricsListen
    }
}

/// `[log]`: logging switches (the level comes from `holdfastd --log-level`).
public struct LogSection: Sendable, Equatable {
    /// `queries`: log one line per query.
    public var queries: Bool

    public init(queries: Bool = false) {
        self.queries = queries
    }
}
