// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport

/// One test's world: a real nsd serving `Zone.standard()` and a `holdfastd` forwarding to it
/// (config adjustable per test). Both die with this value if a test fails early.
struct DaemonStack {
    let nsd: NSDFixture
    let daemon: DaemonProcess

    var address: LoopbackAddress { daemon.address }

    /// Starts nsd, then the daemon with one provider "p1" = nsd, after `configure`.
    static func start(
        launch: DaemonProcess.Launch = DaemonProcess.Launch(),
        configure: (inout DaemonConfig, LoopbackAddress) throws -> Void = { _, _ in }
    ) async throws -> DaemonStack {
        let nsd = try await NSDFixture.start()
        var config = DaemonConfig(upstreams: [nsd.address])
        try configure(&config, nsd.address)
        let daemon = try await DaemonProcess.start(config, launch: launch)
        return DaemonStack(nsd: nsd, daemon: daemon)
    }

    /// SIGTERM the daemon (returns its exit code) and stop nsd.
    @discardableResult
    func stop() async -> Int32 {
        let code = await daemon.stop()
        nsd.stop()
        return code
    }

    func dig(_ name: String, _ type: String = "A", _ options: Dig.Options = Dig.Options()) async throws -> DigResult {
        try await Dig.query(name, type, server: address, options: options)
    }
}
