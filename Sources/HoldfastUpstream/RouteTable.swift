// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// Conditional forwarding: which providers (by index in the configuration) serve a name.
/// The longest matching route suffix wins; providers named in any route serve only their
/// routes; the others serve every name no route claims.
struct RouteTable: Sendable {
    private var routes: [(suffix: DNSName, providers: [Int])] = []
    private(set) var defaultProviders: [Int] = []

    init(_ configuration: UpstreamConfiguration) {
        let indexByName = Dictionary(
            configuration.providers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        var routed = Set<Int>()
        for route in configuration.routes {
            let providers = route.providers.compactMap { indexByName[$0] }
            routed.formUnion(providers)
            for domain in route.domains { routes.append((domain, providers)) }
        }
        defaultProviders = configuration.providers.indices.filter { !routed.contains($0) }
        // Longest suffix first, so the first match wins.
        routes.sort { $0.suffix.wireBytes.count > $1.suffix.wireBytes.count }
    }

    /// Provider indices eligible for `name`, in the order they should be tried.
    func providers(for name: DNSName) -> [Int] {
        for route in routes where name.isSubdomain(of: route.suffix) { return route.providers }
        return defaultProviders
    }
}
