// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import NIOCore

/// The systemd watchdog: ping only while the event loops, the UDP readers and the resolver
/// all answer.
extension Daemon {
    var watchdogTick: Duration {
        if let interval = watchdogInterval { return interval }
        return .seconds(5)
    }

    /// Pings the systemd watchdog only when every event loop runs a task, no UDP reading thread
    /// has left datagrams waiting since the previous check, and the resolver answers a local
    /// question; also refreshes STATUS= when health changes.
    func watchdogCheck() async {
        var healthy = server.udpReadersKeepUp()
        for loop in group.makeIterator() {
            let answered = try? await loop.submit { true }.get()
            if answered != true { healthy = false }
        }
        if healthy { healthy = resolverAnswersLocally() }
        let checked = ServingCheck(healthy: healthy, atMillis: clock.nowMillis())
        lastServingCheck.withLock { $0 = checked }
        if healthy && watchdogInterval != nil { notifier.watchdog() }
        _ = rate.queriesPerSecond(total: UInt64(metrics.udp.total + metrics.tcp.total))
        let health = healthReport().status.rawValue
        let changed = lastHealth.withLock { last -> Bool in
            defer { last = health }
            return last != health
        }
        if changed {
            logger.notice("health changed", metadata: ["health": "\(health)"])
            notifier.status(statusLine())
        }
    }

    func resolverAnswersLocally() -> Bool {
        let query = DNSMessage.makeQuery(id: 1, question: DNSQuestion(name: (try? DNSName("localhost.")) ?? .root, type: .a), udpPayloadSize: nil)
        let disposition = query.withUnsafeBytes { resolver.handleUnobserved($0) }
        if case .answer = disposition { return true }
        return false
    }
}
