// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels
import Synchronization

/// Where the daemon is in its life, as `/readyz` reports it.
enum ServingPhase: UInt8 {
    /// Loading the cache, binding: not ready.
    case starting = 0
    /// Listeners bound and the cache loaded: ready.
    case serving = 1
    /// SIGTERM/SIGINT received: draining, not ready (another instance takes the traffic).
    case draining = 2
}

/// The latest watchdog check of the serving path, for `/livez`.
struct ServingCheck {
    var healthy: Bool
    var atMillis: UInt64
}

/// `/livez` and `/readyz` (container probes). Liveness is the systemd watchdog's check of the
/// serving path (event loops, UDP readers, the resolver), never upstream health: a daemon that
/// serves stale answers during an upstream outage is alive. Readiness is "bound, cache loaded,
/// not draining".
extension Daemon {
    /// Alive when the resolver answers a local question now and the watchdog's latest check of
    /// the event loops and UDP readers passed and is recent (a check that hangs on a stuck event
    /// loop never reports, and goes stale).
    func liveness() -> ProbeReport {
        guard resolverAnswersLocally() else { return ProbeReport(ok: false, reason: "the resolver does not answer") }
        guard let check = lastServingCheck.withLock({ $0 }) else {
            return ProbeReport.passing  // the first check runs as the services start
        }
        guard check.healthy else {
            return ProbeReport(ok: false, reason: "an event loop or UDP reading thread is stuck")
        }
        let overdue = UInt64(Self.milliseconds(watchdogTick)) * 3 + 1_000
        guard clock.nowMillis() &- check.atMillis <= overdue else {
            return ProbeReport(ok: false, reason: "the serving-path check has not finished for \((clock.nowMillis() &- check.atMillis) / 1000) s")
        }
        return .passing
    }

    func readiness() -> ProbeReport {
        switch ServingPhase(rawValue: phase.load(ordering: .acquiring)) ?? .starting {
        case .starting: ProbeReport(ok: false, reason: "starting: listeners not bound or cache not loaded yet")
        case .serving: .passing
        case .draining: ProbeReport(ok: false, reason: "draining: stopping (SIGTERM)")
        }
    }

    func enter(_ next: ServingPhase) {
        phase.store(next.rawValue, ordering: .releasing)
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
