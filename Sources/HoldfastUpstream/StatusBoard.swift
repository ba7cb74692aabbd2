// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Synchronization

/// What other threads may read without a hop to the c-ares loop: server states for
/// `status()` and the known-down check. Written by the loop after changes.
final class StatusBoard: Sendable {
    struct Snapshot: Sendable {
        var providers: [ProviderStatus] = []
        var routes: RouteTable
    }

    private let snapshot: Mutex<Snapshot>

    init(routes: RouteTable) {
        snapshot = Mutex(Snapshot(routes: routes))
    }

    func publish(_ providers: [ProviderStatus], routes: RouteTable) {
        snapshot.withLock {
            $0.providers = providers
            $0.routes = routes
        }
    }

    var providers: [ProviderStatus] { snapshot.withLock { $0.providers } }

    /// True when `name` has eligible servers and every one of them is down.
    func isKnownDown(for name: DNSName) -> Bool {
        every(for: name) { !$0.isUp }
    }

    /// True when `name` has eligible servers and every one of them is down or suspect: known
    /// trouble, so a client with stale data is answered at once.
    func hasNoHealthyServer(for name: DNSName) -> Bool {
        every(for: name) { !$0.isUp || $0.isSuspect }
    }

    private func every(for name: DNSName, _ predicate: (ServerStatus) -> Bool) -> Bool {
        snapshot.withLock { state in
            let indices = state.routes.providers(for: name)
            var any = false
            for index in indices where index < state.providers.count {
                for server in state.providers[index].servers {
                    if !predicate(server) { return false }
                    any = true
                }
            }
            return any
        }
    }
}
