// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// What became of one query a transport carried.
enum TransportReply {
    /// The server's reply, as received (ID and name case still ours).
    case reply([UInt8])
    case failure(UpstreamError)
}

/// One way of carrying DNS queries to one upstream server: "send this query, tell me what
/// happened". The engine and the question machine never know which transport a server uses;
/// c-ares (`CAresTransport`) carries `dns` servers, and an encrypted transport plugs in here
/// without touching policy or health. Loop-thread only, like the engine.
protocol UpstreamTransport: AnyObject {
    /// Sends one query. `build` gets the query ID to use (unique among this transport's
    /// queries in flight) and returns the message. `completion` runs exactly once, on the loop
    /// thread, after the call that produced it returned. Returns the ID, or nil when nothing
    /// could be sent (no completion then).
    func send(_ build: (UInt16) -> [UInt8], completion: @escaping (TransportReply) -> Void) -> UInt16?

    /// Stops taking new queries (reload, removal); queries in flight finish.
    func retire()

    /// Why the last `send` could not be made, for the log; nil after a successful one.
    var setupError: String? { get }

    /// True for DNS over TLS/HTTPS: queries are padded and carry edns-tcp-keepalive, and
    /// DNS 0x20 is not used (the channel is authenticated).
    var isEncrypted: Bool { get }

    /// True for the stream transports (`tcp`, `tls`, `https`): queries carry
    /// edns-tcp-keepalive, and an attempt is never resent to the same server (the stream
    /// delivers it or the connection fails). DNS 0x20 is not used.
    var isStream: Bool { get }

    /// Connections, handshakes, resumptions (encrypted transports; nil for c-ares).
    var statistics: ConnectionStatistics? { get }

    /// Fails every query in flight with `.cancelled` and closes connections (shutdown).
    func cancelAll()
}

/// `dns` servers through c-ares: one channel per server at a time, keeping its UDP socket
/// open (`ARES_FLAG_STAYOPEN`), replaced as `rotateAfterQueries` says so the source port
/// changes; a replaced channel finishes its in-flight queries and the loop destroys it (and
/// closes its socket) as soon as the last one is done.
final class CAresTransport: UpstreamTransport {
    private let address: UpstreamServerAddress
    private let timeoutMs: Int
    private let rotateAfterQueries: ChannelRotation
    private unowned let loop: CAresEventLoop
    private var channel: CAresChannel?
    private var random = KernelRandom()
    private(set) var setupError: String?

    init(address: UpstreamServerAddress, timeoutMs: Int, rotateAfterQueries: ChannelRotation, loop: CAresEventLoop) {
        self.address = address
        self.timeoutMs = timeoutMs
        self.rotateAfterQueries = rotateAfterQueries
        self.loop = loop
    }

    func send(_ build: (UInt16) -> [UInt8], completion: @escaping (TransportReply) -> Void) -> UInt16? {
        guard let channel = currentChannel() else { return nil }
        let id = channel.makeQueryID(using: &random)
        channel.send(build(id), id: id) { reply in
            switch reply {
            case .reply(let bytes): completion(.reply(bytes))
            case .failure(let status): completion(.failure(CAresReply.error(forStatus: status)))
            }
        }
        return id
    }

    func retire() {
        if let channel { loop.retire(channel) }
        channel = nil
    }

    var isEncrypted: Bool { false }
    var isStream: Bool { false }
    var statistics: ConnectionStatistics? { nil }
    /// The loop cancels and destroys every c-ares channel itself at shutdown.
    func cancelAll() {}

    private func currentChannel() -> CAresChannel? {
        if let channel, !rotateAfterQueries.isDue(sent: channel.sent) { return channel }
        retire()
        do {
            channel = try CAresChannel(server: address, timeoutMs: timeoutMs, loop: loop)
            setupError = nil
        } catch {
            setupError = "\(error)"
        }
        return channel
    }
}

/// The placeholder a server holds until the engine gives it its real transport.
final class NoTransport: UpstreamTransport {
    func send(_ build: (UInt16) -> [UInt8], completion: @escaping (TransportReply) -> Void) -> UInt16? { nil }
    func retire() {}
    var setupError: String? { "no transport" }
    var isEncrypted: Bool { false }
    var isStream: Bool { false }
    var statistics: ConnectionStatistics? { nil }
    func cancelAll() {}
}
