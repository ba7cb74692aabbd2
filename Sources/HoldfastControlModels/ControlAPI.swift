// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import FoundationEssentials

/// Names shared by the control server and its clients: paths, the default socket, the JSON coding.
public enum ControlAPI {
    /// Where holdfastd listens unless `control.socket` says otherwise.
    public static let defaultSocketPath = "/run/holdfast/control.sock"

    /// Endpoint paths.
    public enum Path {
        public static let health = "/health"
        public static let metrics = "/metrics"
        public static let stats = "/stats"
        public static let upstreams = "/upstreams"
        public static let cache = "/cache"
        public static let cacheFlush = "/cache/flush"
        public static let reload = "/reload"
        public static let query = "/query"
        public static let held = "/held"
        public static let livez = "/livez"
        public static let readyz = "/readyz"
    }

    /// Content type of `GET /metrics`.
    public static let prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"
    /// Content type of every JSON answer.
    public static let jsonContentType = "application/json"

    /// Encodes a report as the API sends it: pretty, keys sorted, ending in a newline.
    ///
    /// Every key of every object is always present, `null` when its value is not known: a
    /// model with an optional field writes its own `encode(to:)` with `encode`, never
    /// `encodeIfPresent` (what Swift synthesizes for optionals).
    public static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    /// Decodes a report from an API body.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}
