import DNSWire
import NetAddress

/// How a question is spread over the configured providers.
public enum UpstreamPolicy: String, Sendable, Equatable, CaseIterable {
    /// In the order written, moving on when one fails.
    case failover
    /// Lowest smoothed RTT first.
    case fastest
    /// All providers at once; the first answer wins.
    case race
}

/// One `[[upstream.provider]]`: a named group of servers run by one operator.
public struct ProviderSection: Sendable, Equatable {
    /// `name`: unique, used in routes, metrics and `holdfastctl upstreams`.
    public var name: String
    /// `servers`: the provider's servers, tried in order.
    public var servers: [HostPort]

    public init(name: String, servers: [HostPort]) {
        self.name = name
        self.servers = servers
    }
}

/// `[upstream]`: forwarding policy, timeouts, health tracking and the providers.
public struct UpstreamSection: Sendable, Equatable {
    /// `policy`.
    public var policy: UpstreamPolicy
    /// `timeout_ms`: one attempt at one server.
    public var timeoutMs: Int
    /// `hedge_after_ms`: no answer by then, also ask the next provider; 0 disables.
    public var hedgeAfterMs: Int
    /// `failure_threshold`: consecutive failures that mark a server down.
    public var failureThreshold: Int
    /// `probe_interval_s`: how often a server marked down is probed.
    public var probeIntervalS: Int
    /// `randomize_case`: DNS 0x20 — randomise the letter case of forwarded names and
    /// require the reply to echo it.
    public var randomizeCase: Bool
    /// `rotate_after_queries`: replace a server's c-ares channel after this many queries so
    /// source ports change; 0 disables.
    public var rotateAfterQueries: Int
    /// `retry_budget_percent`: attempts beyond a question's first (hedges, retries, resends)
    /// are limited to this share of the last 10 s of questions, but at least 10 per second.
    public var retryBudgetPercent: Int
    /// `[[upstream.provider]]`, in the order written. Never empty after parsing.
    public var providers: [ProviderSection]

    public init(
        policy: UpstreamPolicy = .failover,
        timeoutMs: Int = 1_000,
        hedgeAfterMs: Int = 250,
        failureThreshold: Int = 3,
        probeIntervalS: Int = 5,
        randomizeCase: Bool = true,
        rotateAfterQueries: Int = 500,
        retryBudgetPercent: Int = 20,
        providers: [ProviderSection] = []
    ) {
        self.policy = policy
        self.timeoutMs = timeoutMs
        self.hedgeAfterMs = hedgeAfterMs
        self.failureThreshold = failureThreshold
        self.probeIntervalS = probeIntervalS
        self.randomizeCase = randomizeCase
        self.rotateAfterQueries = rotateAfterQueries
        self.retryBudgetPercent = retryBudgetPercent
        self.providers = providers
    }
}

/// One `[[route]]`: conditional forwarding of names at or under `domains` to `providers`.
public struct RouteSection: Sendable, Equatable {
    /// `domains`: the suffixes as names (lowercase), e.g. `corp.example.`.
    public var domains: [DNSName]
    /// `providers`: names of `[[upstream.provider]]` entries, all of which exist.
    public var providers: [String]

    public init(domains: [DNSName], providers: [String]) {
        self.domains = domains
        self.providers = providers
    }
}
