/// The answer of `GET /upstreams`: every provider and its servers, as health checking sees them.
public struct UpstreamsReport: Codable, Sendable, Equatable {
    /// Up or down, for a server or a provider (a provider is up while any of its servers is up).
    public enum State: String, Codable, Sendable {
        case up, down
    }

    /// One upstream server.
    public struct Server: Codable, Sendable, Equatable {
        /// `ip:port` (IPv6 as `[ip]:port`).
        public var address: String
        /// Current state.
        public var state: State
        /// Smoothed round-trip time in milliseconds; nil before the first answer.
        public var srttMilliseconds: Double?
        /// Failures in a row since the last success.
        public var consecutiveFailures: Int
        /// The most recent failure ("timeout", "connection refused", ...); nil if none yet.
        public var lastError: String?
        /// Attempts sent to this server.
        public var requests: UInt64
        /// Attempts that failed.
        public var failures: UInt64

        public init(
            address: String, state: State, srttMilliseconds: Double?, consecutiveFailures: Int,
            lastError: String?, requests: UInt64, failures: UInt64
        ) {
            self.address = address
            self.state = state
            self.srttMilliseconds = srttMilliseconds
            self.consecutiveFailures = consecutiveFailures
            self.lastError = lastError
            self.requests = requests
            self.failures = failures
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case address, state, requests, failures
            case srttMilliseconds = "srtt_ms"
            case consecutiveFailures = "consecutive_failures"
            case lastError = "last_error"
        }

        /// Every key, `null` for a value not known yet (the synthesized encoder would omit it).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(address, forKey: .address)
            try container.encode(state, forKey: .state)
            try container.encode(srttMilliseconds, forKey: .srttMilliseconds)
            try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(requests, forKey: .requests)
            try container.encode(failures, forKey: .failures)
        }
    }

    /// One provider (an operator such as a public resolver service) and its servers.
    public struct Provider: Codable, Sendable, Equatable {
        /// The provider's name from the config.
        public var name: String
        /// Up while any server is up.
        public var state: State
        /// Its servers in config order.
        public var servers: [Server]

        public init(name: String, state: State, servers: [Server]) {
            self.name = name
            self.state = state
            self.servers = servers
        }
    }

    /// Providers in config order.
    public var providers: [Provider]

    public init(providers: [Provider]) {
        self.providers = providers
    }
}
