// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastConfig
import Testing

@testable import HoldfastDaemon
@testable import HoldfastUpstream

/// The upstream layer takes its values from the parsed config only: one default table (the
/// config's), and what the file says arrives unchanged.
@Suite struct ConfigurationMappingTests {
    static let provider = "[[upstream.provider]]\nname = \"loop\"\nservers = [\"127.0.0.1:5301\"]\n"

    @Test func upstreamDefaultsAreTheConfigDefaults() throws {
        let config = try HoldfastConfiguration.parse(Self.provider, file: "t.toml")
        let upstream = ConfigurationMapping.upstream(config)
        let defaults = UpstreamSection()
        #expect(upstream.rotateAfterQueries == .afterQueries(defaults.rotateAfterQueries))
        #expect(upstream.rotateAfterQueries == .afterQueries(500))  // as config/holdfast.toml and the README say
        #expect(upstream.timeoutMs == defaults.timeoutMs)
        #expect(upstream.hedgeAfterMs == defaults.hedgeAfterMs)
        #expect(upstream.failureThreshold == defaults.failureThreshold)
        #expect(upstream.probeIntervalSeconds == defaults.probeIntervalS)
        #expect(upstream.randomizeCase == defaults.randomizeCase)
        #expect(upstream.retryBudgetPercent == defaults.retryBudgetPercent)
        #expect(upstream.retryBudgetMinPerSecond == defaults.retryBudgetMinPerS)
        #expect(upstream.tlsIdleTimeoutMs == defaults.tlsIdleTimeoutMs)
    }

    /// `rotate_after_queries = 0` is documented and validated as "never": it must not become
    /// "after every query" on the way (the upstream layer once clamped it to 1).
    @Test(arguments: [0, 1, 10_000])
    func rotateAfterQueriesArrivesAsWritten(value: Int) throws {
        let config = try HoldfastConfiguration.parse("[upstream]\nrotate_after_queries = \(value)\n" + Self.provider, file: "t.toml")
        #expect(ConfigurationMapping.upstream(config).rotateAfterQueries == (value == 0 ? .never : .afterQueries(value)))
    }
}

/// Exit status 2 is for a config the operator must fix; a machine that cannot start the
/// daemon's threads or descriptors is a runtime failure, 1 (SPEC, holdfastd(8)).
@Suite struct SetupFailureStatusTests {
    @Test func runtimeSetupFailuresExitOne() {
        for error: any Error in [
            CAresEventLoop.SetupError(description: "epoll_create1: errno 24"),
            CAresEventLoop.SetupError(description: "pthread_create: 11"),
            CAresChannel.InitError(description: "ares_init_options: Out of memory"),
        ] {
            #expect(Daemon.setupFailureStatus(error) == Daemon.ExitStatus.runtimeFailure, "\(error)")
        }
    }

    @Test func configProblemsFoundAtSetupExitTwo() {
        let error = UpstreamConfigurationError(description: "provider p: example.test is not an IP address")
        #expect(Daemon.setupFailureStatus(error) == Daemon.ExitStatus.configError)
    }
}
