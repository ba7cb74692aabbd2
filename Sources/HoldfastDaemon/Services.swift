// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastCache
import HoldfastResolver
import HoldfastServer
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// Serves DNS until graceful shutdown; then stops reading, answers what is in flight
/// (bounded by the upstream timeouts) and closes the sockets.
struct DNSService: Service {
    let server: DNSServer
    let resolver: QueryResolver
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            await server.run()
        } onGracefulShutdown: {
            Task { await server.stopAccepting() }
        }
        await resolver.drain(timeout: .seconds(3))
        await server.close()
        logger.notice("DNS listeners closed")
    }
}

/// Writes the cache snapshot every `persist_interval_s` and once more at shutdown.
struct PersistenceService: Service {
    let daemon: Daemon

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let interval = daemon.persistInterval
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                await daemon.persistCache(reason: "interval")
            }
        }
        await daemon.persistCache(reason: "shutdown")
    }
}

/// SIGHUP reloads the config file.
struct ReloadService: Service {
    let daemon: Daemon
    /// Trapped before READY=1, so an early SIGHUP is queued rather than fatal.
    let signals: UnixSignalsSequence

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            _ = await daemon.reload(trigger: "SIGHUP")
        }
    }
}

/// Periodic housekeeping: sd_notify WATCHDOG=1 (only while every event loop and the
/// resolver answer), STATUS= on health changes.
struct WatchdogService: Service {
    let daemon: Daemon

    func run() async throws {
        await cancelWhenGracefulShutdown {
            // Checked once at start too, so `/livez` reports a real check from the beginning.
            await daemon.watchdogCheck()
            while !Task.isCancelled {
                try? await Task.sleep(for: daemon.watchdogTick)
                guard !Task.isCancelled else { break }
                await daemon.watchdogCheck()
            }
        }
    }
}
