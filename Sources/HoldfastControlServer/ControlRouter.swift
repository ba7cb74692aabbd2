// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import FoundationEssentials
import HoldfastControlModels
import NIOHTTP1

/// One parsed request as the router sees it.
struct ControlRequest: Sendable {
    var method: HTTPMethod
    var path: String
    var query: [String: String]

    /// Splits a request target into path and query; nil if it is not a valid origin-form target.
    init?(method: HTTPMethod, uri: String) {
        guard uri.hasPrefix("/"), let components = URLComponents(string: uri) else { return nil }
        self.method = method
        self.path = components.path
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] where query[item.name] == nil {
            query[item.name] = item.value ?? ""
        }
        self.query = query
    }
}

/// One answer ready to write.
struct ControlResponse: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: Data
    var allow: [HTTPMethod] = []

    static func json(_ status: HTTPResponseStatus, _ value: some Encodable) -> ControlResponse {
        do {
            return ControlResponse(status: status, contentType: ControlAPI.jsonContentType, body: try ControlAPI.encode(value))
        } catch {
            return .error(.internalServerError, "cannot encode the answer: \(error)")
        }
    }

    static func error(_ status: HTTPResponseStatus, _ message: String) -> ControlResponse {
        // ErrorReport always encodes; fall back to a fixed body rather than recursing.
        let body = (try? ControlAPI.encode(ErrorReport(error: message))) ?? Data("{\"error\":\"internal error\"}\n".utf8)
        return ControlResponse(status: status, contentType: ControlAPI.jsonContentType, body: body)
    }
}

/// Which endpoints a listener serves: the Unix socket serves all, the TCP `metrics_listen`
/// listener only `/metrics`, `/health`, `/livez` and `/readyz`.
enum ControlRouteSet: Sendable {
    case all
    case metricsAndHealth
}

/// The outcome of routing: an answer now, or async work (reload) that produces one.
enum RouteOutcome: Sendable {
    case now(ControlResponse)
    case later(@Sendable () async -> ControlResponse)
}

/// Maps requests to backend calls with one `switch`. Pure apart from the backend: no I/O.
struct ControlRouter: Sendable {
    let backend: any ControlBackend
    let routes: ControlRouteSet

    func route(_ request: ControlRequest) -> RouteOutcome {
        typealias P = ControlAPI.Path
        switch (routes, request.path) {
        case (_, P.health):
            return only(.GET, request) {
                let report = backend.health()
                return .json(report.status == .failing ? .serviceUnavailable : .ok, report)
            }
        case (_, P.livez):
            return only(.GET, request) { probe(backend.liveness()) }
        case (_, P.readyz):
            return only(.GET, request) { probe(backend.readiness()) }
        case (_, P.metrics):
            return only(.GET, request) {
                ControlResponse(status: .ok, contentType: ControlAPI.prometheusContentType, body: Data(backend.metricsText().utf8))
            }
        case (.all, P.stats):
            return only(.GET, request) { .json(.ok, backend.stats()) }
        case (.all, P.upstreams):
            return only(.GET, request) { .json(.ok, backend.upstreams()) }
        case (.all, P.cache):
            return only(.GET, request) { cacheEntry(request) }
        case (.all, P.cacheFlush):
            return only(.POST, request) { flush(request) }
        case (.all, P.reload):
            guard request.method == .POST else { return .now(methodNotAllowed(.POST)) }
            let backend = self.backend
            return .later {
                let report = await backend.reload()
                return .json(report.ok ? .ok : .badRequest, report)
            }
        case (.all, P.query):
            return queryRoute(request)
        case (.all, P.held):
            return heldRoute(request)
        default:
            return .now(.error(.notFound, "no such endpoint: \(request.path)"))
        }
    }

    private func probe(_ report: ProbeReport) -> ControlResponse {
        .json(report.ok ? .ok : .serviceUnavailable, report)
    }

    private func only(_ method: HTTPMethod, _ request: ControlRequest, _ body: () -> ControlResponse) -> RouteOutcome {
        request.method == method ? .now(body()) : .now(methodNotAllowed(method))
    }

    private func methodNotAllowed(_ allowed: HTTPMethod) -> ControlResponse {
        var response = ControlResponse.error(.methodNotAllowed, "method not allowed; use \(allowed.rawValue)")
        response.allow = [allowed]
        return response
    }

    private func cacheEntry(_ request: ControlRequest) -> ControlResponse {
        guard let name = request.query["name"], !name.isEmpty else {
            return .error(.badRequest, "missing query parameter: name")
        }
        let type = request.query["type"].flatMap { $0.isEmpty ? nil : $0 } ?? "A"
        return answer {
            let report = try backend.cacheEntry(name: name, type: type)
            return .json(report.found ? .ok : .notFound, report)
        }
    }

    private func flush(_ request: ControlRequest) -> ControlResponse {
        let name = request.query["name"].flatMap { $0.isEmpty ? nil : $0 }
        return answer { .json(.ok, FlushReport(flushed: try backend.flushCache(name: name))) }
    }

    private func answer(_ body: () throws -> ControlResponse) -> ControlResponse {
        do {
            return try body()
        } catch let error as ControlBadRequest {
            return .error(.badRequest, error.message)
        } catch {
            return .error(.internalServerError, "\(error)")
        }
    }
}
