// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastCache
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// The cache file: loaded at start, written every `persist_interval_s` and at stop.
extension Daemon {
    var persistInterval: Duration {
        .seconds(max(1, configuration.withLock { $0.cache.persistIntervalSeconds }))
    }

    func loadCache(path: String) {
        guard !path.isEmpty else { return }
        let started = clock.nowMillis()
        do {
            let snapshot = try CacheSnapshotFile.read(from: path, wallClockNow: wallClockSeconds())
            let restored = cache.restore(snapshot, now: clock.nowMillis())
            let held = resolver.restoreHolds(snapshot.holds)
            metrics.holdsChanged(active: held)
            logger.notice("cache loaded", metadata: [
                "path": "\(path)", "entries": "\(restored)", "held": "\(held)", "ms": "\(clock.nowMillis() - started)"])
        } catch SnapshotError.missing {
            logger.info("no cache file yet", metadata: ["path": "\(path)"])
        } catch {
            logger.warning("cache file unusable; starting with an empty cache", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// Writes the snapshot off the event loops and the cooperative pool.
    func persistCache(reason: String) async {
        let path = configuration.withLock { $0.cache.persistPath }
        guard !path.isEmpty else { return }
        guard persistLock.withLock({ busy in busy ? false : { busy = true; return true }() }) else { return }
        defer { persistLock.withLock { $0 = false } }
        var taken = cache.snapshot(now: clock.nowMillis())
        taken.holds = resolver.holdsForSnapshot()
        let snapshot = taken
        let started = clock.nowMillis()
        let now = wallClockSeconds()
        do {
            try await NIOThreadPool.singleton.runIfActive {
                Self.createParentDirectory(of: path)
                try CacheSnapshotFile.write(snapshot, to: path, wallClockNow: now)
            }
            logger.info("cache persisted", metadata: ["path": "\(path)", "reason": "\(reason)", "ms": "\(clock.nowMillis() - started)"])
        } catch {
            logger.warning("cannot write cache file", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }

    /// `mkdir -p` (mode 0750) for the cache file's directory, so `make run` as root works
    /// without systemd's StateDirectory=. Failures surface as the write's own error.
    static func createParentDirectory(of path: String) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        var prefix = ""
        for component in path[..<slash].split(separator: "/") {
            prefix += "/" + component
            _ = mkdir(prefix, 0o750)
        }
    }
}

/// Seconds since 1970 for the cache file (TTL aging across restarts).
func wallClockSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}
