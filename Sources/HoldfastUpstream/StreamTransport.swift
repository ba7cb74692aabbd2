// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTLS

/// DNS over TCP (RFC 7766, transport `tcp`), DNS over TLS (RFC 7858) or DNS over HTTPS (RFC 8484)
/// to one server: one persistent connection, opened when the first query needs it and reused by
/// every query after; as many queries on it at once as its codec allows (128 for TCP and DoT;
/// the server's HTTP/2 stream limit, at most 100, for DoH), the rest waiting; answers taken in
/// any order. Loop-thread only.
///
/// - A connection the server closes is replaced, and the queries in flight on it are written
///   once more on the new one (a second loss fails them). Queries the server refused to
///   process (HTTP/2 GOAWAY or REFUSED_STREAM) go on a new connection without counting.
/// - A failed connect or handshake (certificate, name, pins, ALPN) fails the queries waiting
///   for it (with `.tls`; a plain `tcp` connect with `.networkError`), and the next attempt
///   waits 100 ms, doubling per further failure up to 10 s; meanwhile queries fail at once, so
///   a broken server cannot pin the CPU with handshakes.
/// - The connect and handshake must finish within `timeout_ms`.
/// - Idle for `tls_idle_timeout_ms` (or the server's edns-tcp-keepalive, if less): closed.
/// - The server's session ticket is offered on reconnect (resumption).
final class StreamTransport: UpstreamTransport {
    /// What rides on the connection.
    enum Wire: Sendable {
        /// Plain DNS over TCP: no TLS, random query IDs (the path is not authenticated).
        case tcp
        case tls
        case https(path: String)
    }

    private struct Query {
        let message: [UInt8]
        let completion: (TransportReply) -> Void
        var timer: TimerHeap.ID?
        /// Written on a connection the server then closed: the next loss fails it.
        var resent = false
        var writtenAt: ContinuousClock.Instant?
    }

    static let firstBackoff: Duration = .milliseconds(100)
    static let maxBackoff: Duration = .seconds(10)

    private let address: UpstreamServerAddress
    /// The TLS settings; nil for `tcp`.
    private let settings: TLSClientSettings?
    private let wire: Wire
    private let timeoutMs: Int
    private var timeout: Duration { .milliseconds(timeoutMs) }
    private let idleTimeout: Duration
    private unowned let loop: CAresEventLoop
    private var context: TLSClientContext?
    private var queries: [UInt16: Query] = [:]
    /// Queries not written yet, oldest first.
    private var waiting: [UInt16] = []
    /// The connection new queries go on.
    private var connection: StreamConnection?
    /// Connections the server is draining (GOAWAY): they finish what they carry, take nothing.
    private var draining: [StreamConnection] = []
    private var consecutiveFailures = 0
    private var backoffUntil: ContinuousClock.Instant?
    private var lastFailure: UpstreamError?
    private var retired = false
    /// The next query ID to try. Over an authenticated channel an ID only has to be unique
    /// among the queries in flight (nobody off the path can inject answers), so a counter
    /// does, without a `getrandom` per query; it starts at a random value. Over plain TCP
    /// (not authenticated) each ID is random instead, as a UDP query's would be.
    private var nextID = UInt16.random(in: .min ... .max)
    private var counters = ConnectionStatistics()
    private(set) var setupError: String?
    /// Told of every handshake's result, and of connections opening or closing.
    private let onHandshake: (TLSHandshakeResult) -> Void
    private let onConnectionChange: () -> Void

    var isEncrypted: Bool { !isTCP }
    private var isTCP: Bool {
        if case .tcp = wire { return true }
        return false
    }
    var isStream: Bool { true }
    var statistics: ConnectionStatistics? { counters }

    /// A transport of `kind` (`tcp`, `tls` or `https`; `dns` is c-ares', taken as `tcp` here).
    init(address: UpstreamServerAddress, kind: UpstreamConfiguration.Transport, timeoutMs: Int,
         idleTimeoutMs: Int, loop: CAresEventLoop, onHandshake: @escaping (TLSHandshakeResult) -> Void,
         onConnectionChange: @escaping () -> Void) {
        self.address = address
        switch kind {
        case .dns, .tcp:
            wire = .tcp
            settings = nil
        case .tls(let tls):
            wire = .tls
            settings = tls
        case .https(let tls, let path):
            wire = .https(path: path)
            settings = tls
        }
        self.timeoutMs = max(1, timeoutMs)
        self.idleTimeout = .milliseconds(max(0, idleTimeoutMs))
        self.loop = loop
        self.onHandshake = onHandshake
        self.onConnectionChange = onConnectionChange
    }

    /// Timers hold this transport unowned: none may outlive it.
    deinit {
        for query in queries.values {
            if let timer = query.timer { loop.cancel(timer) }
        }
        for each in [connection].compactMap({ $0 }) + draining { each.close() }
    }

    func send(_ build: (UInt16) -> [UInt8], completion: @escaping (TransportReply) -> Void) -> UInt16? {
        guard !retired, queries.count < 60_000 else {
            setupError = retired ? "retired" : "too many queries in flight"
            return nil
        }
        setupError = nil
        var id = nextID
        if isTCP {
            id = UInt16.random(in: .min ... .max)
            while queries[id] != nil { id = UInt16.random(in: .min ... .max) }
        } else {
            while queries[id] != nil { id &+= 1 }
            nextID = id &+ 1
        }
        queries[id] = Query(message: build(id), completion: completion, timer: loop.schedule(after: timeout) { [unowned self] in
            timedOut(id)
        })
        if connection == nil, let until = backoffUntil, ContinuousClock.now < until, let lastFailure {
            finish(id, .failure(lastFailure))
            return id
        }
        waiting.append(id)
        pump()
        return id
    }

    func retire() {
        retired = true
        if queries.isEmpty { closeAll() }
    }

    func cancelAll() {
        for id in Array(queries.keys) { finish(id, .failure(.cancelled)) }
        closeAll()
    }

    // MARK: Connections

    /// Writes waiting queries while the connection has room, opening one when there is none.
    private func pump() {
        if let current = connection, current.codec.isDraining {
            draining.append(current)
            connection = nil
        }
        guard !waiting.isEmpty else { return }
        guard let connection else { return open() }
        guard connection.isOpen else { return }
        var count = 0
        while count < waiting.count && connection.inFlight.count < connection.codec.capacity {
            let id = waiting[count]
            guard let message = queries[id]?.message else {
                count += 1
                continue
            }
            let codec = connection.codec
            guard connection.enqueue({ codec.submit(id: id, message: message, into: &$0) }) else { break }
            count += 1
            queries[id]?.writtenAt = .now
            connection.inFlight.insert(id)
        }
        waiting.removeFirst(count)
        if let timer = connection.idleTimer {
            loop.cancel(timer)
            connection.idleTimer = nil
        }
        connection.flush()
    }

    private func makeCodec() -> (any StreamCodec)? {
        switch wire {
        case .tcp, .tls: return DNSOverTLSCodec()
        case .https(let path): return DNSOverHTTPSCodec(authority: settings?.serverName ?? "", path: path)
        }
    }

    /// The TLS context (made once, so sessions resume); nil for `tcp`.
    private func tlsContext() throws(UpstreamError) -> TLSClientContext? {
        if isTCP { return nil }
        if let context { return context }
        guard let settings else { throw .tls(TLSError("no TLS settings").description) }
        do throws(TLSError) {
            let made: TLSClientContext
            if case .https = wire {
                made = try TLSClientContext(settings: settings, alpn: ["h2"])
            } else {
                made = try TLSClientContext(settings: settings)
            }
            context = made
            return made
        } catch {
            throw .tls(error.description)
        }
    }

    private func open() {
        do throws(UpstreamError) {
            let context = try tlsContext()
            guard let codec = makeCodec() else { throw .tls(TLSError("cannot start an HTTP/2 session").description) }
            let connection = try StreamConnection(address: address, context: context, codec: codec, loop: loop) {
                [unowned self] connection, event in handle(event, from: connection)
            }
            self.connection = connection
            connection.handshakeTimer = loop.schedule(after: timeout) { [unowned self, unowned connection] in
                connection.handshakeTimer = nil
                guard !connection.isOpen else { return }
                let what = connection.state == .connecting ? "connect" : "handshake"
                connection.close()
                handle(.failed(StreamConnection.failure("\(what) timed out after \(timeoutMs) ms", tls: connection.isTLS)), from: connection)
            }
        } catch {
            failed(error, source: nil)
        }
    }

    private func handle(_ event: StreamConnection.Event, from source: StreamConnection) {
        guard source === connection || draining.contains(where: { $0 === source }) else { return }
        switch event {
        case .established(let resumed):
            if case .https = wire, source.negotiatedProtocol != "h2" {
                source.close()
                return failed(.tls(TLSError("the server did not agree to HTTP/2 (ALPN h2)").description), source: source)
            }
            consecutiveFailures = 0
            backoffUntil = nil
            lastFailure = nil
            counters.handshakes += 1
            if resumed { counters.resumed += 1 }
            updateOpenCount()
            if source.isTLS { onHandshake(resumed ? .resumed : .ok) }
            onConnectionChange()
            let codec = source.codec
            source.enqueue { codec.pendingOutput(into: &$0) }  // the HTTP/2 preface, before any query
            source.flush()
            pump()
        case .received(let bytes):
            received(bytes, on: source)
        case .closed(let why):
            lost(source, why: why)
        case .failed(let error):
            failed(error, source: source)
        }
    }

    private func received(_ bytes: ArraySlice<UInt8>, on source: StreamConnection) {
        var again: [UInt16] = []
        var broken: String?
        let codec = source.codec
        source.enqueue { output in
            codec.received(bytes, output: &output) { event in
                switch event {
                case .reply(let id, let reply):
                    // A late answer to a query that already timed out is dropped.
                    guard source.inFlight.remove(id) != nil else { return }
                    finish(id, .reply(reply))
                case .failed(let id, let error):
                    guard source.inFlight.remove(id) != nil else { return }
                    finish(id, .failure(error))
                case .refused(let id):
                    guard source.inFlight.remove(id) != nil, queries[id] != nil else { return }
                    again.append(id)
                case .broken(let why):
                    broken = why
                }
            }
        }
        if let broken { return lost(source, why: broken) }
        if !again.isEmpty { waiting.insert(contentsOf: again, at: 0) }
        source.flush()
        pump()
        if source.inFlight.isEmpty {
            if source !== connection {
                retireDrained(source)
            } else if waiting.isEmpty {
                armIdleTimer(source)
            }
        }
    }

    /// The server closed an established connection: its queries go once more on a new one.
    private func lost(_ source: StreamConnection, why: String) {
        source.close()
        forget(source)
        var again: [UInt16] = []
        for id in source.inFlight.sorted() {
            guard let query = queries[id] else { continue }
            if query.resent {
                finish(id, .failure(.networkError("connection lost twice: \(why)")))
            } else {
                queries[id]?.resent = true
                again.append(id)
            }
        }
        source.inFlight.removeAll()
        waiting.insert(contentsOf: again, at: 0)
        if retired && queries.isEmpty { return }
        pump()
    }

    /// The connect or handshake failed: every query waiting for it fails, and the next
    /// attempt backs off.
    private func failed(_ error: UpstreamError, source: StreamConnection?) {
        if let source {
            source.close()
            forget(source)
        }
        consecutiveFailures += 1
        lastFailure = error
        let backoff = min(Self.maxBackoff, Self.firstBackoff * (1 << min(consecutiveFailures - 1, 16)))
        backoffUntil = .now + backoff
        if !isTCP { onHandshake(.failed) }
        var failing = waiting
        waiting.removeAll()
        if let source { failing.append(contentsOf: source.inFlight) }
        for id in failing { finish(id, .failure(error)) }
    }

    private func timedOut(_ id: UInt16) {
        guard let query = queries[id] else { return }
        queries[id]?.timer = nil
        if let index = waiting.firstIndex(of: id) { waiting.remove(at: index) }
        finish(id, .failure(.timeout))
        // Nothing heard on the connection since this query was written: it may be dead (a
        // path that drops everything); the next query opens a fresh one.
        for candidate in [connection].compactMap({ $0 }) + draining where candidate.inFlight.remove(id) != nil {
            if let written = query.writtenAt, candidate.lastHeardAt < written {
                lost(candidate, why: "silent for \(timeoutMs) ms")
            }
        }
    }

    private func finish(_ id: UInt16, _ reply: TransportReply) {
        guard let query = queries.removeValue(forKey: id) else { return }
        if let timer = query.timer { loop.cancel(timer) }
        // Completions run after the current socket event or `send` returns.
        loop.enqueueCompletion { query.completion(reply) }
        if retired && queries.isEmpty { closeAll() }
    }

    private func armIdleTimer(_ source: StreamConnection) {
        let idle = min(idleTimeout, source.codec.serverIdleTimeout ?? idleTimeout)
        if let timer = source.idleTimer { loop.cancel(timer) }
        source.idleTimer = loop.schedule(after: idle) { [unowned self, unowned source] in
            source.idleTimer = nil
            guard source === connection, source.inFlight.isEmpty, waiting.isEmpty else { return }
            source.close()
            forget(source)
        }
    }

    private func retireDrained(_ source: StreamConnection) {
        source.close()
        forget(source)
    }

    /// Drops a closed connection from the books.
    private func forget(_ source: StreamConnection) {
        if source === connection { connection = nil }
        draining.removeAll { $0 === source }
        updateOpenCount()
        onConnectionChange()
    }

    private func updateOpenCount() {
        counters.open = (connection?.isOpen == true ? 1 : 0) + draining.filter(\.isOpen).count
    }

    private func closeAll() {
        for each in [connection].compactMap({ $0 }) + draining {
            each.close()
            forget(each)
        }
    }
}
