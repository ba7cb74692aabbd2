// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastControlModels
import HoldfastControlServer
import HoldfastResolver

/// `GET /query` and `/held`, from the resolver.
extension DaemonControlBackend {
    private func parse(name: String, type: String) throws -> (DNSName, DNSType) {
        guard let dnsName = try? DNSName(name) else { throw ControlBadRequest("not a valid DNS name: \(name)") }
        guard let dnsType = DNSType(mnemonic: type.isEmpty ? "A" : type.uppercased()) else { throw ControlBadRequest("unknown record type: \(type)") }
        return (dnsName, dnsType)
    }

    func query(name: String, type: String) async throws -> QueryReport {
        let (dnsName, dnsType) = try parse(name: name, type: type)
        let found = await daemon.resolver.explain(name: dnsName, type: dnsType)
        return QueryReport(
            name: found.name, type: found.type, rcode: found.rcode, source: found.source, provider: found.provider,
            server: found.server, attempts: found.attempts, ede: found.extendedErrors, answers: found.answers,
            authorities: found.authorities, ttl: found.ttl, milliseconds: (found.milliseconds * 1000).rounded() / 1000)
    }

    func held() -> HeldReport {
        HeldReport(held: daemon.resolver.heldNames().map(Self.entry))
    }

    func hold(name: String, type: String, seconds: Int?) throws -> HeldReport? {
        let (dnsName, dnsType) = try parse(name: name, type: type)
        switch daemon.resolver.hold(name: dnsName, type: dnsType, seconds: seconds) {
        case .success(let made): return HeldReport(held: made.map(Self.entry))
        case .failure(.noPositiveAnswer): return nil
        case .failure(.tableFull): throw ControlBadRequest("too many names held already; release some first")
        }
    }

    func release(name: String, type: String) throws -> ReleaseReport {
        let (dnsName, dnsType) = try parse(name: name, type: type)
        return ReleaseReport(released: daemon.resolver.release(name: dnsName, type: dnsType))
    }

    static func entry(_ status: HeldStatus) -> HeldReport.Entry {
        HeldReport.Entry(
            name: status.name, type: status.type, dnssecOK: status.dnssecOK, reason: status.reason.rawValue,
            since: WallClock.timestamp(epochSeconds: status.sinceEpochSeconds),
            until: WallClock.timestamp(epochSeconds: status.untilEpochSeconds), remainingSeconds: status.remainingSeconds,
            records: status.records, upstreamNow: status.upstreamNow, answersServed: status.answersServed)
    }
}
