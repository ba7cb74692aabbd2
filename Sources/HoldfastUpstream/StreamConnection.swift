// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc
import HoldfastTLS

/// One TCP connection to one server, with TLS on top (`tls`, `https`) or without (`tcp`),
/// driven by socket readiness on the loop thread: connect, handshake (TLS only), then bytes
/// both ways (its `codec` frames DNS over TCP/TLS or HTTP/2). It owns the socket; the
/// transport (`StreamTransport`) owns the queries and decides what happens on close.
final class StreamConnection {
    enum State: Equatable {
        case connecting, handshaking, open, closed
    }

    /// What the transport hears from its connection.
    enum Event {
        case established(resumed: Bool)
        /// Bytes read (decrypted for TLS; valid during the call only).
        case received(ArraySlice<UInt8>)
        /// Closed by the server (or the socket failed) after it was established.
        case closed(String)
        /// The connect or the handshake failed: `.tls` for a TLS connection, `.networkError`
        /// for a plain one.
        case failed(UpstreamError)
    }

    let fd: Int32
    private let session: any ByteStream
    /// True with TLS on top: connect and handshake failures are `.tls` errors.
    let isTLS: Bool
    private unowned let loop: CAresEventLoop
    private(set) var state: State = .connecting
    /// How queries and answers are laid out on this connection (set by the transport).
    var codec: any StreamCodec
    private var outbound: [UInt8] = []
    private var outboundStart = 0
    /// The readiness asked of the loop now (an unchanged interest costs no `epoll_ctl`).
    private var watching: (read: Bool, write: Bool) = (false, true)
    /// Where (decrypted) bytes land before the framer takes them (allocated once).
    private var readBuffer = [UInt8](repeating: 0, count: 16_384)
    /// IDs of queries written (or queued to be written) on this connection.
    var inFlight: Set<UInt16> = []
    /// The handshake (connect included) must finish by then.
    var handshakeTimer: TimerHeap.ID?
    var idleTimer: TimerHeap.ID?
    /// When a reply last arrived, or the connection was established.
    var lastHeardAt: ContinuousClock.Instant = .now
    private let onEvent: (StreamConnection, Event) -> Void

    /// Starts a non-blocking connect to `address`, with TLS on top when `context` is given;
    /// events follow through `onEvent`.
    init(address: UpstreamServerAddress, context: TLSClientContext?, codec: any StreamCodec, loop: CAresEventLoop,
         onEvent: @escaping (StreamConnection, Event) -> Void) throws(UpstreamError) {
        let isTLS = context != nil
        guard let socketAddress = SocketAddressStorage(host: address.host, port: address.port) else {
            throw Self.failure("bad address \(address)", tls: isTLS)
        }
        let fd = socket(socketAddress.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.failure("socket: \(String(cString: strerror(errno)))", tls: isTLS) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = socketAddress.withSockaddr { connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS {
            let error = Self.failure("connect: \(String(cString: strerror(errno)))", tls: isTLS)
            Glibc.close(fd)
            throw error
        }
        if let context {
            do {
                session = TLSByteStream(try TLSSession(socket: fd, context: context))
            } catch {
                Glibc.close(fd)
                throw .tls(error.description)
            }
        } else {
            session = PlainStream(fd: fd)
        }
        self.isTLS = isTLS
        self.fd = fd
        self.codec = codec
        self.loop = loop
        self.onEvent = onEvent
        loop.watch(fd: fd, readable: false, writable: true) { [unowned self] readable, writable in
            ready(readable: readable, writable: writable)
        }
    }

    /// A connection dropped without `close` (its transport went away) still gives up its socket
    /// and its place in the loop.
    deinit { close() }

    /// Lets `body` append to the bytes to write; `flush` writes them once the connection is open.
    func enqueue<Result>(_ body: (inout [UInt8]) -> Result) -> Result {
        body(&outbound)
    }

    /// The protocol ALPN settled on, once established.
    var negotiatedProtocol: String? { session.negotiatedProtocol }

    /// Closes the socket (close_notify first when open). No event follows.
    func close() {
        guard state != .closed else { return }
        if state == .open { session.close() }
        state = .closed
        loop.unwatch(fd: fd)
        Glibc.close(fd)
        if let timer = handshakeTimer { loop.cancel(timer) }
        if let timer = idleTimer { loop.cancel(timer) }
        handshakeTimer = nil
        idleTimer = nil
    }

    var isOpen: Bool { state == .open }

    // MARK: Readiness

    private func ready(readable: Bool, writable: Bool) {
        switch state {
        case .connecting:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { return fail(Self.failure("connect: \(String(cString: strerror(error)))", tls: isTLS)) }
            state = .handshaking
            handshake()
        case .handshaking:
            handshake()
        case .open:
            if readable { readAll() }
            if state == .open { flush() }
        case .closed:
            break
        }
    }

    private func handshake() {
        switch session.handshake() {
        case .done:
            state = .open
            lastHeardAt = .now
            if let timer = handshakeTimer { loop.cancel(timer) }
            handshakeTimer = nil
            onEvent(self, .established(resumed: session.resumed))
            if state == .open { flush() }
        case .wantRead: interest(read: true, write: false)
        case .wantWrite: interest(read: true, write: true)
        case .closed: fail(Self.failure("handshake: the server closed the connection", tls: isTLS))
        case .failed(let error): fail(Self.failure(error, tls: isTLS))
        }
    }

    private func readAll() {
        while state == .open {
            var count = 0
            let progress = readBuffer.withUnsafeMutableBytes { session.read(into: $0, count: &count) }
            switch progress {
            case .done:
                lastHeardAt = .now
                quickAck()
                onEvent(self, .received(readBuffer[..<count]))
            case .wantRead: return
            case .wantWrite: return interest(read: true, write: true)
            case .closed: return lost("closed by the server")
            case .failed(let error): return lost(error)
            }
        }
    }

    /// Writes queued messages as far as the socket takes them; the rest when it is writable.
    func flush() {
        guard state == .open else { return }
        while outboundStart < outbound.count {
            var written = 0
            let progress = outbound.withUnsafeBytes { raw in
                session.write(UnsafeRawBufferPointer(rebasing: raw[outboundStart...]), written: &written)
            }
            outboundStart += written
            switch progress {
            case .done: continue
            case .wantRead: return interest(read: true, write: false)
            case .wantWrite: return interest(read: true, write: true)
            case .closed: return lost("closed by the server")
            case .failed(let error): return lost(error)
            }
        }
        outbound.removeAll(keepingCapacity: true)
        outboundStart = 0
        interest(read: true, write: false)
    }

    /// Acknowledges what was read at once instead of after the kernel's delayed-ACK timer: a
    /// server that leaves Nagle on (nsd 4.6 does) holds its next answer until our ACK, and at
    /// a few queries in flight the delay was the whole latency. Linux clears the flag again by
    /// itself, so it is set after each read.
    private func quickAck() {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    private func interest(read: Bool, write: Bool) {
        guard state != .closed, watching != (read, write) else { return }
        watching = (read, write)
        loop.watch(fd: fd, readable: read, writable: write) { [unowned self] readable, writable in
            ready(readable: readable, writable: writable)
        }
    }

    /// A connect or handshake failure as the transport reports it: `.tls` (its text starting
    /// with "tls: ") on a TLS connection, a network error ("tcp: ...") on a plain one.
    static func failure(_ what: String, tls: Bool) -> UpstreamError {
        if tls { return .tls(what.hasPrefix("tls: ") ? what : TLSError(what).description) }
        return .networkError("tcp: \(what)")
    }

    private func fail(_ error: UpstreamError) {
        close()
        onEvent(self, .failed(error))
    }

    private func lost(_ why: String) {
        close()
        onEvent(self, .closed(why))
    }
}

/// An IPv4 or IPv6 socket address for `connect`, from the literal `SocketAddressBytes` parses
/// (the module's one IP-literal parser, shared with the c-ares channels).
struct SocketAddressStorage {
    private var storage = sockaddr_storage()
    private(set) var length: socklen_t = 0
    private(set) var family: Int32 = 0

    init?(host: String, port: UInt16) {
        switch SocketAddressBytes(host: host, port: port) {
        case .v4(let address):
            var v4 = sockaddr_in()
            v4.sin_family = sa_family_t(AF_INET)
            v4.sin_port = port.bigEndian
            v4.sin_addr = address
            store(v4, family: AF_INET)
        case .v6(let address):
            var v6 = sockaddr_in6()
            v6.sin6_family = sa_family_t(AF_INET6)
            v6.sin6_port = port.bigEndian
            withUnsafeBytes(of: address) { source in
                withUnsafeMutableBytes(of: &v6.sin6_addr) { $0.copyMemory(from: source) }
            }
            store(v6, family: AF_INET6)
        case nil:
            return nil
        }
    }

    private mutating func store<Address>(_ address: Address, family: Int32) {
        withUnsafeBytes(of: address) { source in
            withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: source) }
        }
        length = socklen_t(MemoryLayout<Address>.size)
        self.family = family
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
