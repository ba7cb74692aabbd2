// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastControlModels
import NIOHTTP1

/// `GET /query` and `GET/POST/DELETE /held` (the collapse guard's tools).
extension ControlRouter {
    func queryRoute(_ request: ControlRequest) -> RouteOutcome {
        guard request.method == .GET else { return .now(notAllowed([.GET])) }
        guard let name = request.query["name"], !name.isEmpty else { return .now(.error(.badRequest, "missing query parameter: name")) }
        let type = request.query["type"].flatMap { $0.isEmpty ? nil : $0 } ?? "A"
        let backend = self.backend
        return .later {
            do {
                return .json(.ok, try await backend.query(name: name, type: type))
            } catch let error as ControlBadRequest {
                return .error(.badRequest, error.message)
            } catch {
                return .error(.internalServerError, "\(error)")
            }
        }
    }

    func heldRoute(_ request: ControlRequest) -> RouteOutcome {
        switch request.method {
        case .GET:
            return .now(.json(.ok, backend.held()))
        case .POST, .DELETE:
            guard let name = request.query["name"], !name.isEmpty else { return .now(.error(.badRequest, "missing query parameter: name")) }
            let type = request.query["type"].flatMap { $0.isEmpty ? nil : $0 } ?? "A"
            do {
                if request.method == .DELETE { return .now(.json(.ok, try backend.release(name: name, type: type))) }
                var seconds: Int?
                if let text = request.query["for_s"], !text.isEmpty {
                    guard let value = Int(text), value > 0 else { return .now(.error(.badRequest, "for_s must be a positive number of seconds: \(text)")) }
                    seconds = value
                }
                guard let report = try backend.hold(name: name, type: type, seconds: seconds) else {
                    return .now(.error(.notFound, "no positive answer for \(name) \(type.uppercased()) in the cache: nothing to hold"))
                }
                return .now(.json(.ok, report))
            } catch let error as ControlBadRequest {
                return .now(.error(.badRequest, error.message))
            } catch {
                return .now(.error(.internalServerError, "\(error)"))
            }
        default:
            return .now(notAllowed([.GET, .POST, .DELETE]))
        }
    }

    private func notAllowed(_ methods: [HTTPMethod]) -> ControlResponse {
        var response = ControlResponse.error(
            .methodNotAllowed, "method not allowed; use \(methods.map(\.rawValue).joined(separator: ", "))")
        response.allow = methods
        return response
    }
}
