// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Logging

extension UpstreamEngine {
    /// Performs what a health event asks for: probe a suspect server, log, observe, start or
    /// stop periodic probing, fail the attempts waiting on a server marked down (their
    /// questions move on), and tell waiting questions when no eligible server is healthy.
    func apply(_ action: ServerHealth.Action, to server: ServerState) {
        switch action {
        case .none:
            return
        case .sendProbe:
            logger.debug("upstream server suspect; probing", metadata: [
                "provider": "\(server.provider)", "server": "\(server.label)"])
            sendProbe(server)
            publish()
            notifyNoHealthyServer()
        case .cleared:
            schedulePublish()
        case .markedDown:
            logChange(of: server, level: .warning, "upstream server marked down", [
                "error": "\(server.health.lastError?.description ?? "")"])
            scheduleProbe(server)
            // Publish first, so status() and isKnownDown agree with what observers and
            // waiting questions are told.
            publish()
            observer?.serverStateChanged(provider: server.provider, server: server.label, isUp: false)
            failAttemptsWaiting(on: server)
            notifyNoHealthyServer()
        case .markedUp:
            logChange(of: server, level: .notice, "upstream server up again", [:])
            if let timer = server.probeTimer { loop.cancel(timer) }
            server.probeTimer = nil
            publish()
            observer?.serverStateChanged(provider: server.provider, server: server.label, isUp: true)
            onServerRecovered?()
        }
    }

    /// A server was marked down: the attempts still waiting on it have failed, and each of
    /// their questions moves on at once.
    private func failAttemptsWaiting(on server: ServerState) {
        let error = server.health.lastError ?? .timeout
        for state in Array(questions.values) where !state.isFinished {
            for candidate in state.candidates.indices where state.candidates[candidate] === server {
                perform(state.machine.serverDown(candidate: candidate, error: error, servers: state.view), for: state)
            }
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

    /// Every eligible server of a waiting question is down or suspect: its clients with stale
    /// data are answered at once (the question itself goes on).
    private func notifyNoHealthyServer() {
        for state in questions.values {
            guard let callback = state.onAllDown, !state.eligible.contains(where: \.isHealthy) else { continue }
            state.onAllDown = nil
            callback()
        }
    }

    /// Sends one probe (a name the server answered before, else one another server answered,
    /// else the last it was asked, else `. NS`). The probe fails on an error or when the
    /// transport gives up after `timeout_ms` — never at an RTO: a slow server is not a dead one.
    func sendProbe(_ server: ServerState) {
        guard !server.removed, !isShutDown, server.health.probe != .inFlight else { return }
        let probe = probeQuestion(for: server)
        logger.debug("probing upstream server", metadata: ["server": "\(server.label)", "down": "\(!server.health.isUp)"])
        guard startAttempt(server: server, question: probe.question, dnssecOK: probe.dnssecOK, owner: nil) != nil else {
            apply(server.health.probeFailed(.networkError("cannot send"), now: .now), to: server)
            return
        }
        server.health.probeSent(now: .now)
    }

    /// A name the server answered; else one another server answered, if routes send that name
    /// to this server's provider; else the last it was asked; else `. NS`.
    private func probeQuestion(for server: ServerState) -> (question: DNSQuestion, dnssecOK: Bool) {
        if let own = server.lastAnsweredQuestion { return own }
        if let shared = lastAnsweredQuestion,
           let index = providers.firstIndex(where: { $0.name == server.provider }),
           routes.providers(for: shared.question.name).contains(index) {
            return shared
        }
        return server.lastQuestion ?? (DNSQuestion(name: .root, type: .ns, qclass: .in), false)
    }

    /// A down server is probed every `probe_interval_s`.
    func scheduleProbe(_ server: ServerState) {
        if let timer = server.probeTimer { loop.cancel(timer) }
        server.probeTimer = loop.schedule(after: server.health.probeInterval) { [self] in
            server.probeTimer = nil
            guard !server.health.isUp, !server.removed, !isShutDown else { return }
            if server.health.probe != .inFlight { sendProbe(server) }
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
        let transportChanged = new.timeoutMs != configuration.timeoutMs || new.rotateAfterQueries != configuration.rotateAfterQueries
            || new.tlsIdleTimeoutMs != configuration.tlsIdleTimeoutMs
        if new.retryBudgetPercent != configuration.retryBudgetPercent
            || new.retryBudgetMinPerSecond != configuration.retryBudgetMinPerSecond { budget = Self.makeBudget(new, observer: observer) }
        configuration = new
        routes = RouteTable(new)
        var kept = Set<ObjectIdentifier>()
        providers = new.providers.map { provider in
            (provider.name, provider.servers.map { address in
                let key = "\(provider.name) \(address.description)"
                guard let server = old[key], server.transportKind == provider.transport else {
                    return makeServer(provider: provider, address: address, configuration: new)
                }
                kept.insert(ObjectIdentifier(server))
                server.health.failureThreshold = max(1, new.failureThreshold)
                server.health.probeInterval = .seconds(max(1, new.probeIntervalSeconds))
                if transportChanged {
                    server.rtt = SmoothedRTT(ceilingMs: Double(max(1, new.timeoutMs)))
                    server.transport.retire()
                    server.transport = makeTransport(for: server, new)
                }
                return server
            })
        }
        for server in old.values where !kept.contains(ObjectIdentifier(server)) {
            server.removed = true
            if let timer = server.probeTimer { loop.cancel(timer) }
            server.probeTimer = nil
            server.transport.retire()
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
                server.transport.cancelAll()
                server.transport.retire()
                if let timer = server.probeTimer { loop.cancel(timer) }
            }
        }
    }
}
