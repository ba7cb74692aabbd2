// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

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
        /// Up but being checked: a probe is out after a silence past its RTO or
        /// `failure_threshold` failures in a row; asked after the healthy servers meanwhile.
        public var suspect: Bool
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
        /// "dns", "tls" or "https".
        public var transport: String
        /// Stream transports (`tcp`, `tls`, `https`): connections open now (0 or 1); nil for `dns`.
        public var connectionsOpen: Int?
        /// Encrypted transports: handshakes completed, resumed ones included; nil for `dns` and `tcp`.
        public var tlsHandshakes: UInt64?
        /// Encrypted transports: handshakes that resumed an earlier session; nil for `dns` and `tcp`.
        public var tlsResumed: UInt64?

        public init(
            address: String, state: State, srttMilliseconds: Double?, consecutiveFailures: Int,
            lastError: String?, requests: UInt64, failures: UInt64, transport: String = "dns",
            connectionsOpen: Int? = nil, tlsHandshakes: UInt64? = nil, tlsResumed: UInt64? = nil,
            suspect: Bool = false
        ) {
            self.address = address
            self.state = state
            self.suspect = suspect
            self.srttMilliseconds = srttMilliseconds
            self.consecutiveFailures = consecutiveFailures
            self.lastError = lastError
            self.requests = requests
            self.failures = failures
            self.transport = transport
            self.connectionsOpen = connectionsOpen
            self.tlsHandshakes = tlsHandshakes
            self.tlsResumed = tlsResumed
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case address, state, suspect, requests, failures, transport
            case connectionsOpen = "connections_open"
            case tlsHandshakes = "tls_handshakes"
            case tlsResumed = "tls_resumed"
            case srttMilliseconds = "srtt_ms"
            case consecutiveFailures = "consecutive_failures"
            case lastError = "last_error"
        }

        /// Every key, `null` for a value not known yet (the synthesized encoder would omit it).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(address, forKey: .address)
            try container.encode(state, forKey: .state)
            try container.encode(suspect, forKey: .suspect)
            try container.encode(srttMilliseconds, forKey: .srttMilliseconds)
            try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(requests, forKey: .requests)
            try container.encode(failures, forKey: .failures)
            try container.encode(transport, forKey: .transport)
            try container.encode(connectionsOpen, forKey: .connectionsOpen)
            try container.encode(tlsHandshakes, forKey: .tlsHandshakes)
            try container.encode(tlsResumed, forKey: .tlsResumed)
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            address = try container.decode(String.self, forKey: .address)
            state = try container.decode(State.self, forKey: .state)
            // Older daemons had no suspect state.
            suspect = try container.decodeIfPresent(Bool.self, forKey: .suspect) ?? false
            srttMilliseconds = try container.decodeIfPresent(Double.self, forKey: .srttMilliseconds)
            consecutiveFailures = try container.decode(Int.self, forKey: .consecutiveFailures)
            lastError = try container.decodeIfPresent(String.self, forKey: .lastError)
            requests = try container.decode(UInt64.self, forKey: .requests)
            failures = try container.decode(UInt64.self, forKey: .failures)
            // Older daemons did not send a transport: they spoke plain DNS only.
            transport = try container.decodeIfPresent(String.self, forKey: .transport) ?? "dns"
            connectionsOpen = try container.decodeIfPresent(Int.self, forKey: .connectionsOpen)
            tlsHandshakes = try container.decodeIfPresent(UInt64.self, forKey: .tlsHandshakes)
            tlsResumed = try container.decodeIfPresent(UInt64.self, forKey: .tlsResumed)
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
