import DNSWire
import Logging

extension UpstreamEngine {
    /// Performs what a health transition asks for: log, observe, start or stop probing,
    /// and tell waiting questions whose every eligible server is now down.
    func apply(_ transition: ServerHealth.Transition, to server: ServerState) {
        switch transition {
        case .none:
            return
        case .markedDown:
            logChange(of: server, level: .warning, "upstream server marked down", [
                "error": "\(server.health.lastError?.description ?? "")"])
            scheduleProbe(server)
            // Publish first, so status() and isKnownDown agree with what observers and
            // waiting questions are told.
            publish()
            observer?.serverStateChanged(provider: server.provider, server: server.label, isUp: false)
            notifyAllDown()
        case .markedUp:
            logChange(of: server, level: .notice, "upstream server up again", [:])
            if let timer = server.probeTimer { loop.cancel(timer) }
            server.probeTimer = nil
            publish()
            observer?.serverStateChanged(provider: server.provider, server: server.label, isUp: true)
        }
    }

    /// A server that flaps (answers right around `timeout_ms`) changes state many times a
    /// second; only one change per server per 10 s is logged at `level`, the rest at debug,
    /// and the next loud line says how many were quieted.
    private func logChange(of server: ServerState, level: Logger.Level, _ message: Logger.Message, _ extra: Logger.Metadata) {
        let now = ContinuousClock.now
        var metadata: Logger.Metadata = ["provider": "\(server.provider)", "server": "\(server.label)"]
        metadata.merge(extra) { $1 }
        if let last = server.lastLoggedChange, now - last < .seconds(10) {
            server.quietChanges += 1
            logger.debug(message, metadata: metadata)
            return
        }
        if server.quietChanges > 0 { metadata["changes_since_last_log"] = "\(server.quietChanges)" }
        server.lastLoggedChange = now
        server.quietChanges = 0
        logger.log(level: level, message, metadata: metadata)
    }

    private func notifyAllDown() {
        for state in questions.values {
            guard let callback = state.onAllDown, !state.eligible.contains(where: \.isUsable) else { continue }
            state.onAllDown = nil
            callback()
        }
    }

    /// A down server is probed every `probe_interval_s` with the last question it was asked.
    func scheduleProbe(_ server: ServerState) {
        if let timer = server.probeTimer { loop.cancel(timer) }
        server.probeTimer = loop.schedule(after: server.health.probeInterval) { [self] in
            server.probeTimer = nil
            guard !server.health.isUp, !server.removed, !isShutDown else { return }
            if !server.probeInFlight {
                let last = server.lastQuestion ?? (DNSQuestion(name: .root, type: .ns, qclass: .in), false)
                logger.debug("probing upstream server", metadata: ["server": "\(server.label)"])
                if startAttempt(server: server, question: last.question, dnssecOK: last.dnssecOK, owner: nil) != nil {
                    server.probeInFlight = true
                }
            }
            server.health.probeSent(now: .now)
            scheduleProbe(server)
        }
    }

    // MARK: Status

    func schedulePublish() {
        guard !publishScheduled else { return }
        publishScheduled = true
        loop.enqueueCompletion { [self] in
            publishScheduled = false
            publish()
        }
    }

    func publish() {
        board.publish(currentStatus(), routes: routes)
    }

    func currentStatus() -> [ProviderStatus] {
        providers.map { ProviderStatus(name: $0.name, servers: $0.servers.map(\.status)) }
    }

    // MARK: Reload and shutdown

    /// Applies a new configuration; servers that remain (same provider and address) keep
    /// their health, RTT and channel.
    func reconfigure(_ new: UpstreamConfiguration) {
        let old = Dictionary(
            providers.flatMap { provider in provider.servers.map { ("\(provider.name) \($0.label)", $0) } },
            uniquingKeysWith: { first, _ in first })
        let timeoutChanged = new.timeoutMs != configuration.timeoutMs
        configuration = new
        routes = RouteTable(new)
        var kept = Set<ObjectIdentifier>()
        providers = new.providers.map { provider in
            (provider.name, provider.servers.map { address in
                let key = "\(provider.name) \(address.description)"
                guard let server = old[key] else {
                    return ServerState(provider: provider.name, address: address, configuration: new)
                }
                kept.insert(ObjectIdentifier(server))
                server.health.failureThreshold = max(1, new.failureThreshold)
                server.health.probeInterval = .seconds(max(1, new.probeIntervalSeconds))
                if timeoutChanged {
                    server.rtt = SmoothedRTT(ceilingMs: Double(max(1, new.timeoutMs)))
                    server.channel?.isRetired = true
                    server.channel = nil
                }
                return server
            })
        }
        for server in old.values where !kept.contains(ObjectIdentifier(server)) {
            server.removed = true
            if let timer = server.probeTimer { loop.cancel(timer) }
            server.probeTimer = nil
            server.channel?.isRetired = true
            server.channel = nil
        }
        publish()
    }

    /// Cancels everything, fails waiting questions, destroys every channel.
    func shutdown(channels: [CAresChannel]) {
        isShutDown = true
        for state in Array(questions.values) { finish(state, .failed(.cancelled)) }
        for channel in channels {
            channel.cancelAll()
            channel.destroy()
        }
        for provider in providers {
            for server in provider.servers {
                server.channel = nil
                if let timer = server.probeTimer { loop.cancel(timer) }
            }
        }
    }
}
