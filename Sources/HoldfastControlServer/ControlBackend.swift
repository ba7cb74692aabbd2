// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels

/// What the control server asks of the daemon. The daemon implements it; the server only
/// turns HTTP requests into these calls and the answers into JSON.
///
/// Every method but `reload()` is called synchronously on a NIO event loop: keep them quick
/// and non-blocking (read atomics, take a short lock).
public protocol ControlBackend: Sendable {
    /// `GET /health`.
    func health() -> HealthReport
    /// `GET /livez`: the serving path works (the watchdog's check); never upstream health.
    func liveness() -> ProbeReport
    /// `GET /readyz`: listeners bound, cache loaded, not draining.
    func readiness() -> ProbeReport
    /// `GET /stats`.
    func stats() -> StatsReport
    /// `GET /upstreams`.
    func upstreams() -> UpstreamsReport
    /// `GET /metrics`: Prometheus text format 0.0.4.
    func metricsText() -> String
    /// `GET /cache?name=N&type=T`. Return `CacheEntryReport.notFound` when nothing is cached;
    /// throw ``ControlBadRequest`` for a name or type that cannot be parsed (answered with 400).
    func cacheEntry(name: String, type: String) throws -> CacheEntryReport
    /// `POST /cache/flush[?name=N]`: removes every entry, or every type of one name; returns how
    /// many entries went. Throw ``ControlBadRequest`` for a name that cannot be parsed.
    func flushCache(name: String?) throws -> Int
    /// `POST /reload`: re-read the config as SIGHUP does. Runs on a `Task`, off the event loop.
    func reload() async -> ReloadReport
    /// `GET /query?name=N&type=T`: resolve as a client would and say how. Throw
    /// ``ControlBadRequest`` for a name or type that cannot be parsed.
    func query(name: String, type: String) async throws -> QueryReport
    /// `GET /held`.
    func held() -> HeldReport
    /// `POST /held?name=N&type=T&for_s=S`: nil when there is no positive answer to hold (404).
    func hold(name: String, type: String, seconds: Int?) throws -> HeldReport?
    /// `DELETE /held?name=N&type=T`.
    func release(name: String, type: String) throws -> ReleaseReport
}

extension ControlBackend {
    public func query(name: String, type: String) async throws -> QueryReport { throw ControlBadRequest("queries are not supported here") }
    public func held() -> HeldReport { HeldReport(held: []) }
    public func hold(name: String, type: String, seconds: Int?) throws -> HeldReport? { nil }
    public func release(name: String, type: String) throws -> ReleaseReport { ReleaseReport(released: 0) }
}

/// A request the backend refuses as malformed; the server answers 400 with `message`.
/// Any other error a backend throws is answered with 500.
public struct ControlBadRequest: Error, Sendable, Equatable, CustomStringConvertible {
    /// One line saying what is wrong with the request.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
