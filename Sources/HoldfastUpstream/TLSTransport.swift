import DNSWire
import HoldfastTLS

/// DNS over TLS to one server (RFC 7858): one persistent connection, opened when the first
/// query needs it and reused by every query after; up to `maxInFlight` queries on it at once,
/// answers matched by ID in any order (the engine then checks the question). Loop-thread only.
///
/// - A connection the server closes is replaced, and the queries in flight on it are written
///   once more on the new one (a second loss fails them).
/// - A failed connect or handshake (certificate, name, pins) fails the queries waiting for it
///   with `.tls`, and the next attempt waits 100 ms, doubling per further failure up to 10 s;
///   meanwhile queries fail at once, so a broken server cannot pin the CPU with handshakes.
/// - The connect and handshake must finish within `timeout_ms`.
/// - Idle for `tls_idle_timeout_ms` (or the server's edns-tcp-keepalive, if less): closed.
/// - The server's session ticket is offered on reconnect (resumption).
final class TLSTransport: UpstreamTransport {
    private struct Query {
        let message: [UInt8]
        let completion: (TransportReply) -> Void
        var timer: TimerHeap.ID?
        /// Written on a connection the server then closed: the next loss fails it.
        var resent = false
        var writtenAt: ContinuousClock.Instant?
    }

    /// Queries on one connection at once; more wait for answers.
    static let maxInFlight = 128
    static let firstBackoff: Duration = .milliseconds(100)
    static let maxBackoff: Duration = .seconds(10)

    private let address: UpstreamServerAddress
    private let settings: TLSClientSettings
    private let timeout: Duration
    private let idleTimeout: Duration
    private unowned let loop: CAresEventLoop
    private var context: TLSClientContext?
    private var queries: [UInt16: Query] = [:]
    /// Queries not written yet, oldest first.
    private var waiting: [UInt16] = []
    private var connection: TLSConnection?
    private var consecutiveFailures = 0
    private var backoffUntil: ContinuousClock.Instant?
    private var lastFailure: TLSError?
    private var retired = false
    private var random = SystemRandomNumberGenerator()
    private var counters = ConnectionStatistics()
    var statistics: ConnectionStatistics? { counters }
    private(set) var setupError: String?
    /// Told of every handshake's result, and of connections opening or closing.
    private let onHandshake: (TLSHandshakeResult) -> Void
    private let onConnectionChange: () -> Void

    var isEncrypted: Bool { true }

    init(address: UpstreamServerAddress, settings: TLSClientSettings, timeoutMs: Int, idleTimeoutMs: Int,
         loop: CAresEventLoop, onHandshake: @escaping (TLSHandshakeResult) -> Void, onConnectionChange: @escaping () -> Void) {
        self.address = address
        self.settings = settings
        self.timeout = .milliseconds(max(1, timeoutMs))
        self.idleTimeout = .milliseconds(max(0, idleTimeoutMs))
        self.loop = loop
        self.onHandshake = onHandshake
        self.onConnectionChange = onConnectionChange
    }

    func send(_ build: (UInt16) -> [UInt8], completion: @escaping (TransportReply) -> Void) -> UInt16? {
        guard !retired, queries.count < 60_000 else {
            setupError = retired ? "retired" : "too many queries in flight"
            return nil
        }
        setupError = nil
        var id = UInt16.random(in: .min ... .max, using: &random)
        while queries[id] != nil { id = UInt16.random(in: .min ... .max, using: &random) }
        queries[id] = Query(message: build(id), completion: completion, timer: loop.schedule(after: timeout) { [unowned self] in
            timedOut(id)
        })
        if connection == nil, let until = backoffUntil, ContinuousClock.now < until, let lastFailure {
            finish(id, .failure(.tls(lastFailure.description)))
            return id
        }
        waiting.append(id)
        pump()
        return id
    }

    func retire() {
        retired = true
        if queries.isEmpty { closeConnection() }
    }

    func cancelAll() {
        for id in Array(queries.keys) { finish(id, .failure(.cancelled)) }
        closeConnection()
    }

    // MARK: Connection

    /// Writes waiting queries while the connection has room, opening one when there is none.
    private func pump() {
        guard !waiting.isEmpty else { return }
        guard let connection else { return open() }
        guard connection.isOpen else { return }
        var count = 0
        while count < waiting.count && connection.inFlight.count < Self.maxInFlight {
            let id = waiting[count]
            count += 1
            guard queries[id] != nil else { continue }
            queries[id]?.writtenAt = .now
            connection.inFlight.insert(id)
            connection.enqueue(queries[id]?.message ?? [])
        }
        waiting.removeFirst(count)
        if let timer = connection.idleTimer {
            loop.cancel(timer)
            connection.idleTimer = nil
        }
        connection.flush()
    }

    private func open() {
        do throws(TLSError) {
            let context: TLSClientContext
            if let existing = self.context {
                context = existing
            } else {
                context = try TLSClientContext(settings: settings)
                self.context = context
            }
            let connection = try TLSConnection(address: address, context: context, loop: loop) { [unowned self] connection, event in
                handle(event, from: connection)
            }
            self.connection = connection
            connection.handshakeTimer = loop.schedule(after: timeout) { [unowned self, unowned connection] in
                connection.handshakeTimer = nil
                guard !connection.isOpen else { return }
                let what = connection.state == .connecting ? "connect" : "handshake"
                connection.close()
                handle(.failed(TLSError("\(what) timed out after \(timeout)")), from: connection)
            }
        } catch {
            failed(error, waitingOn: nil)
        }
    }

    private func handle(_ event: TLSConnection.Event, from source: TLSConnection) {
        guard source === connection else { return }
        switch event {
        case .established(let resumed):
            consecutiveFailures = 0
            backoffUntil = nil
            lastFailure = nil
            counters.handshakes += 1
            counters.open = 1
            if resumed { counters.resumed += 1 }
            onHandshake(resumed ? .resumed : .ok)
            onConnectionChange()
            pump()
        case .message(let bytes):
            received(bytes, on: source)
        case .closed(let why):
            lost(source, why: why)
        case .failed(let error):
            failed(error, waitingOn: source)
        }
    }

    private func received(_ bytes: [UInt8], on connection: TLSConnection) {
        guard bytes.count >= 12 else { return }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        // A late answer to a query that already timed out is dropped.
        guard connection.inFlight.remove(id) != nil, queries[id] != nil else { return }
        if !connection.keepaliveChecked {
            connection.keepaliveChecked = true
            if let timeout = (try? ParsedQuery(bytes: bytes))?.edns?.tcpKeepaliveTimeout {
                connection.serverIdleTimeout = .milliseconds(Int(timeout) * 100)
            }
        }
        finish(id, .reply(bytes))
        pump()
        if connection.inFlight.isEmpty && waiting.isEmpty { armIdleTimer(connection) }
    }

    /// The server closed an established connection: its queries go once more on a new one.
    private func lost(_ source: TLSConnection, why: String) {
        source.close()
        connection = nil
        counters.open = 0
        onConnectionChange()
        var again: [UInt16] = []
        for id in source.inFlight.sorted() {
            guard let query = queries[id] else { continue }
            if query.resent {
                finish(id, .failure(.networkError("tls connection lost twice: \(why)")))
            } else {
                queries[id]?.resent = true
                again.append(id)
            }
        }
        waiting.insert(contentsOf: again, at: 0)
        if retired && queries.isEmpty { return }
        pump()
    }

    /// The connect or handshake failed: every query waiting for it fails, and the next
    /// attempt backs off.
    private func failed(_ error: TLSError, waitingOn source: TLSConnection?) {
        if let source { source.close() }
        connection = nil
        counters.open = 0
        counters.failedHandshakes += 1
        consecutiveFailures += 1
        lastFailure = error
        let backoff = min(Self.maxBackoff, Self.firstBackoff * (1 << min(consecutiveFailures - 1, 16)))
        backoffUntil = .now + backoff
        onHandshake(.failed)
        onConnectionChange()
        var failing = waiting
        waiting.removeAll()
        if let source { failing.append(contentsOf: source.inFlight) }
        for id in failing { finish(id, .failure(.tls(error.description))) }
    }

    private func timedOut(_ id: UInt16) {
        guard let query = queries[id] else { return }
        queries[id]?.timer = nil
        if let index = waiting.firstIndex(of: id) { waiting.remove(at: index) }
        finish(id, .failure(.timeout))
        // Nothing heard on the connection since this query was written: it may be dead
        // (a path that drops everything); the next query opens a fresh one.
        if let connection, connection.inFlight.remove(id) != nil, let written = query.writtenAt,
           connection.lastHeardAt < written {
            lost(connection, why: "silent for \(timeout)")
        }
    }

    private func finish(_ id: UInt16, _ reply: TransportReply) {
        guard let query = queries.removeValue(forKey: id) else { return }
        if let timer = query.timer { loop.cancel(timer) }
        // Completions run after the current socket event or `send` returns.
        loop.enqueueCompletion { query.completion(reply) }
        if retired && queries.isEmpty { closeConnection() }
    }

    private func armIdleTimer(_ connection: TLSConnection) {
        let idle = min(idleTimeout, connection.serverIdleTimeout ?? idleTimeout)
        if let timer = connection.idleTimer { loop.cancel(timer) }
        connection.idleTimer = loop.schedule(after: idle) { [unowned self, unowned connection] in
            connection.idleTimer = nil
            guard connection === self.connection, connection.inFlight.isEmpty, waiting.isEmpty else { return }
            closeConnection()
        }
    }

    private func closeConnection() {
        guard let connection else { return }
        self.connection = nil
        connection.close()
        counters.open = 0
        onConnectionChange()
    }
}
