// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import CAres
import DNSWire
import Glibc

/// An IP literal parsed into the form c-ares wants.
enum SocketAddressBytes {
    case v4(in_addr)
    case v6(ares_in6_addr)

    init?(host: String, port: UInt16) {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            self = .v4(v4)
            return
        }
        var v6 = ares_in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            self = .v6(v6)
            return
        }
        return nil
    }
}

/// What came back from one `ares_send`.
enum CAresReply {
    case reply([UInt8])
    /// An ares status other than ARES_SUCCESS (ARES_ETIMEOUT, ARES_ECONNREFUSED, ...).
    case failure(Int32)
}

/// One c-ares channel talking to exactly one server: TRIES=1, so one `ares_send` is one
/// attempt at one server. Owned by the loop thread; `@unchecked Sendable` only so a
/// loop-confined object can be referenced from closures handed to the loop (never touched
/// elsewhere).
final class CAresChannel: @unchecked Sendable {
    private(set) var handle: ares_channel?
    unowned let loop: CAresEventLoop
    /// `ares_send`s whose callback has not fired yet.
    private(set) var pending = 0
    /// Queries ever sent on this channel (for source-port rotation).
    private(set) var sent = 0
    /// IDs in flight on this channel: a new query's ID must differ from all of them.
    private(set) var idsInFlight: Set<UInt16> = []
    /// Replaced by a fresh channel: takes no new queries, destroyed (its socket closed) as soon
    /// as `pending` is 0 (`CAresEventLoop.retire`).
    var isRetired = false

    /// SO_RCVBUF asked for each upstream socket.
    static let receiveBufferBytes: Int32 = 1 << 20

    struct InitError: Error, CustomStringConvertible {
        var description: String
    }

    init(server: UpstreamServerAddress, timeoutMs: Int, loop: CAresEventLoop) throws {
        self.loop = loop
        guard let address = SocketAddressBytes(host: server.host, port: server.port) else {
            throw InitError(description: "not an IP address: \(server.host)")
        }
        var options = ares_options()
        // STAYOPEN: c-ares 1.18 otherwise closes the socket whenever no query is pending, so at
        // one query outstanding every miss paid socket, connect, epoll_ctl ×2 and close. Source
        // ports change by rotating channels instead (`CAresTransport`).
        options.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_STAYOPEN
        options.timeout = Int32(clamping: max(1, timeoutMs))
        options.tries = 1
        options.ndots = 1
        options.servers = nil
        options.nservers = 0  // with ARES_OPT_SERVERS: resolv.conf's servers are never read
        options.domains = nil
        options.ndomains = 0
        options.sortlist = nil
        options.nsort = 0
        options.ednspsz = Int32(EDNS.defaultUDPPayloadSize)
        // Room for a burst of replies (512 outstanding misses answered at once) while the loop
        // thread is busy; the kernel caps it at net.core.rmem_max.
        options.socket_receive_buffer_size = Self.receiveBufferBytes
        options.sock_state_cb = { data, fd, readable, writable in
            guard let data else { return }
            let channel = Unmanaged<CAresChannel>.fromOpaque(data).takeUnretainedValue()
            channel.loop.updateInterest(fd: fd, readable: readable != 0, writable: writable != 0, channel: channel)
        }
        options.sock_state_cb_data = Unmanaged.passUnretained(self).toOpaque()
        let optmask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS | ARES_OPT_SERVERS
            | ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB | ARES_OPT_SORTLIST | ARES_OPT_EDNSPSZ
            | ARES_OPT_NOROTATE | ARES_OPT_SOCK_RCVBUF
        var channel: ares_channel?
        let status: Int32 = "b".withCString { lookups in
            options.lookups = UnsafeMutablePointer(mutating: lookups)
            return ares_init_options(&channel, &options, optmask)
        }
        guard status == ARES_SUCCESS, let channel else {
            throw InitError(description: "ares_init_options: \(String(cString: ares_strerror(status)))")
        }
        var node = ares_addr_port_node()
        node.next = nil
        switch address {
        case .v4(let v4):
            node.family = AF_INET
            node.addr.addr4 = v4
        case .v6(let v6):
            node.family = AF_INET6
            node.addr.addr6 = v6
        }
        node.udp_port = Int32(server.port)
        node.tcp_port = Int32(server.port)
        let setStatus = ares_set_servers_ports(channel, &node)
        guard setStatus == ARES_SUCCESS else {
            ares_destroy(channel)
            throw InitError(description: "ares_set_servers_ports: \(String(cString: ares_strerror(setStatus)))")
        }
        handle = channel
        loop.register(self)
    }

    /// A fresh query ID not in flight on this channel.
    func makeQueryID<R: RandomNumberGenerator>(using generator: inout R) -> UInt16 {
        while true {
            let id = UInt16.random(in: .min ... .max, using: &generator)
            if !idsInFlight.contains(id) { return id }
        }
    }

    /// Sends one query. `completion` runs exactly once, on the loop thread, after the c-ares
    /// call that produced it has returned (never inside a c-ares callback).
    func send(_ query: [UInt8], id: UInt16, completion: @escaping (CAresReply) -> Void) {
        guard let handle else {
            loop.enqueueCompletion { completion(.failure(ARES_EDESTRUCTION)) }
            return
        }
        let context = SendContext(channel: self, id: id, completion: completion)
        pending += 1
        sent += 1
        idsInFlight.insert(id)
        let arg = Unmanaged.passRetained(context).toOpaque()
        query.withUnsafeBufferPointer { buffer in
            ares_send(handle, buffer.baseAddress, Int32(buffer.count), { arg, status, _, abuf, alen in
                guard let arg else { return }
                let context = Unmanaged<SendContext>.fromOpaque(arg).takeRetainedValue()
                let result: CAresReply
                if status == ARES_SUCCESS, let abuf, alen > 0 {
                    result = .reply(Array(UnsafeBufferPointer(start: abuf, count: Int(alen))))
                } else {
                    result = .failure(status == ARES_SUCCESS ? ARES_EBADRESP : status)
                }
                let channel = context.channel
                channel.finished(id: context.id)
                let completion = context.completion
                channel.loop.enqueueCompletion { completion(result) }
                // A retired channel's last query: close its socket now (not inside c-ares).
                if channel.isRetired && channel.pending == 0 { channel.loop.enqueueCompletion { channel.destroy() } }
            }, arg)
        }
    }

    private func finished(id: UInt16) {
        pending -= 1
        idsInFlight.remove(id)
    }

    /// Cancels everything in flight (callbacks fire with ARES_ECANCELLED).
    func cancelAll() {
        guard let handle else { return }
        ares_cancel(handle)
    }

    /// Destroys the c-ares channel; call on the loop thread outside any c-ares callback.
    func destroy() {
        guard let handle else { return }
        self.handle = nil
        ares_destroy(handle)  // fires remaining callbacks with ARES_EDESTRUCTION and closes sockets
        loop.unregister(self)
    }
}

/// Carries one `ares_send`'s context through c-ares' `void *arg` (retained once, released
/// in the callback, which c-ares calls exactly once per `ares_send`).
private final class SendContext {
    let channel: CAresChannel
    let id: UInt16
    let completion: (CAresReply) -> Void

    init(channel: CAresChannel, id: UInt16, completion: @escaping (CAresReply) -> Void) {
        self.channel = channel
        self.id = id
        self.completion = completion
    }
}

extension CAresReply {
    /// Maps a non-success ares status to the failure it stands for.
    static func error(forStatus status: Int32) -> UpstreamError {
        switch status {
        case ARES_ETIMEOUT: return .timeout
        case ARES_ECANCELLED, ARES_EDESTRUCTION: return .cancelled
        case ARES_EBADRESP: return .malformedReply
        case ARES_ECONNREFUSED: return .networkError("connection refused")
        default: return .networkError(String(cString: ares_strerror(status)))
        }
    }
}
