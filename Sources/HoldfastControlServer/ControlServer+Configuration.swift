// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import NIOCore

extension ControlServer {
    /// A TCP address for the optional `metrics_listen` listener (serves only /metrics and /health).
    /// Parsed and validated by the config (`NetAddress.HostPort`); `host` is an IP literal.
    public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// Where and how the control server listens, and the bounds it puts on each client.
    public struct Configuration: Sendable {
        /// The Unix socket path (`control.socket`).
        public var socketPath: String
        /// Optional TCP listener for `metrics_listen`.
        public var metricsListen: ListenAddress?
        /// Permission bits of the socket file.
        public var socketMode: UInt32 = 0o660
        /// Most bytes read from one connection (request head plus any body) before answering 431.
        public var maxRequestBytes: Int = 8 * 1024
        /// Longest a client may take from connecting to completing its request.
        public var requestTimeout: TimeAmount = .seconds(5)
        /// Most connections open at once over both listeners; more are closed at accept.
        public var maxConnections: Int = 64

        public init(socketPath: String, metricsListen: ListenAddress? = nil) {
            self.socketPath = socketPath
            self.metricsListen = metricsListen
        }
    }
}
