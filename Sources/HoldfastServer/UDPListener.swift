// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import CSocketBatch
import HoldfastResolver
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One UDP socket and the thread that reads it.
///
/// The thread (see `UDPBurstLoop`) blocks in `recvmmsg` until a datagram arrives and takes up
/// to 32 queued ones at once, answers cache hits, local names and errors on the spot (the
/// first reply at once, the rest with one `sendmmsg`); misses go to the resolution queue and
/// are answered later, from whichever thread resolved them, through `send`. Two system calls
/// per quiet-time query, as dnsdist's UDP threads make, where an event loop makes four.
/// NIO's datagram channel is not used here: per query it formatted the client address as a
/// string (`inet_ntop`), built envelopes and promises and checked exclusivity on every access,
/// about four times the instructions of the whole DNS answer (README, "What a hit costs").
/// `stopReading` interrupts the blocked read with a real-time signal (see CSocketBatch.h).
/// The listener owns the descriptor: it is closed exactly once, under `sendLock`, so a late
/// reply can never go to a reused descriptor number.
final class UDPListener: Sendable {
    let descriptor: CInt
    /// False once the socket is closed; held while sending.
    private let sendLock = Mutex<Bool>(true)
    private let stopping = Atomic<Bool>(false)
    /// Bursts read so far, and what the last `isStalled` check saw.
    private let bursts = Atomic<UInt64>(0)
    private let lastCheck = Mutex<(bursts: UInt64, pending: Bool)>((0, false))
    private let thread = Mutex<pthread_t?>(nil)
    /// Bound here to a specific address (not inherited from systemd, which keeps its socket
    /// for the next instance, nor a wildcard, whose replies need the address asked): detached
    /// from the address before reading stops (see `stopReading`).
    private let detachOnStop: Bool

    struct SocketError: Error, CustomStringConvertible {
        var description: String
        init(_ call: String, address: SocketAddress? = nil, errno code: CInt = errno) {
            let reason = String(cString: strerror(code))
            description = address.map { "\(call) \($0): \(reason) (errno \(code))" } ?? "\(call): \(reason) (errno \(code))"
        }
    }

    /// A new socket bound to `address` (SO_REUSEADDR and SO_REUSEPORT, so one socket per
    /// thread can share the port).
    convenience init(binding address: SocketAddress) throws {
        let family: CInt
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        case .unixDomainSocket: throw SocketError("socket", address: address, errno: EAFNOSUPPORT)
        }
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket", address: address) }
        var one: CInt = 1
        let size = socklen_t(MemoryLayout<CInt>.size)
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, size) == 0,
              setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, size) == 0 else {
            let error = SocketError("setsockopt", address: address)
            Glibc.close(fd)
            throw error
        }
        let bound = address.withSockAddr { pointer, length in bind(fd, pointer, socklen_t(length)) }
        guard bound == 0 else {
            let error = SocketError("bind", address: address)
            Glibc.close(fd)
            throw error
        }
        let wildcard = address.ipAddress == "0.0.0.0" || address.ipAddress == "::"
        try self.init(adopting: fd, detachOnStop: !wildcard)
    }

    /// Takes over a bound datagram socket (socket activation, or `init(binding:)`).
    init(adopting fd: CInt, detachOnStop: Bool = false) throws {
        self.detachOnStop = detachOnStop
        guard holdfast_set_blocking(fd) == 0 else {
            let error = SocketError("fcntl")
            Glibc.close(fd)
            throw error
        }
        descriptor = fd
        // Room for bursts: ask for 4 MiB of receive buffer (the kernel caps it at
        // net.core.rmem_max unless we may force it).
        var bytes: CInt = 4 << 20
        let size = socklen_t(MemoryLayout<CInt>.size)
        if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, size) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, size)
        }
    }

    deinit {
        closeDescriptor()
    }

    /// Closes the socket the first time only, under the send lock (see the type's comment).
    private func closeDescriptor() {
        sendLock.withLock { open in
            if open { Glibc.close(descriptor) }
            open = false
        }
    }

    /// The address the socket is bound to (the real port when 0 was asked for).
    var localAddress: SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET: return withUnsafeBytes(of: storage) { SocketAddress($0.loadUnaligned(as: sockaddr_in.self)) }
        case AF_INET6: return withUnsafeBytes(of: storage) { SocketAddress($0.loadUnaligned(as: sockaddr_in6.self)) }
        default: return nil
        }
    }

    /// Starts the reading thread.
    func start(shared: ServerShared) throws {
        let installed = holdfast_install_stop_signal()
        guard installed == 0 else { throw SocketError("sigaction", errno: installed) }
        let context = Unmanaged.passRetained(UDPBurstLoop.Start(listener: self, shared: shared)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { argument in
            guard let argument else { return nil }
            let start = Unmanaged<UDPBurstLoop.Start>.fromOpaque(argument).takeRetainedValue()
            holdfast_name_thread("holdfast-udp")
            _ = holdfast_accept_stop_signal()
            var loop = UDPBurstLoop(listener: start.listener, shared: start.shared)
            loop.run()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<UDPBurstLoop.Start>.fromOpaque(context).release()
            throw SocketError("pthread_create", errno: rc)
        }
        thread.withLock { $0 = tid }
    }

    /// True once `stopReading` was called; the reading thread checks it after every wake.
    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Counts one burst read (the reading thread, after every `recvmmsg` that returned data).
    @inline(__always)
    func countBurst() {
        bursts.wrappingAdd(1, ordering: .relaxed)
    }

    /// True when datagrams were waiting at this check and the previous one and nothing was
    /// read in between: the reading thread is stuck (the watchdog's UDP check). A quiet socket,
    /// or one whose datagrams just arrived, is not stalled.
    func isStalled() -> Bool {
        let read = bursts.load(ordering: .relaxed)
        let pending = holdfast_pending_bytes(descriptor) > 0
        return lastCheck.withLock { last in
            defer { last = (read, pending) }
            return pending && last.pending && read == last.bursts
        }
    }

    /// Stops reading and waits for the thread to exit. Replies to queries already taken can
    /// still be sent until `close`.
    ///
    /// A socket bound here is first detached from its address, and the thread reads what was
    /// already queued before it exits: with SO_REUSEPORT, another instance on the same address
    /// then gets every datagram sent from now on and none queued here is lost (a handover loses
    /// nothing). Other sockets keep their queued datagrams in the kernel.
    func stopReading() {
        if detachOnStop { detach() }
        stopping.store(true, ordering: .releasing)
        let tid = thread.withLock { current -> pthread_t? in
            defer { current = nil }
            return current
        }
        if let tid { _ = holdfast_interrupt_and_join(tid) }
    }

    /// Connects the socket to its own address. A connected UDP socket only matches datagrams
    /// from its peer, and the kernel's SO_REUSEPORT selection skips connected sockets, so from
    /// now on clients' datagrams go to the other sockets of the group (another instance's),
    /// while those already queued here stay to be read. Sending to any client still works (an
    /// explicit destination overrides the peer).
    private func detach() {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                guard getsockname(descriptor, address, &length) == 0 else { return }
                _ = connect(descriptor, address, length)
            }
        }
    }

    /// True while datagrams wait on a detached socket: the reading thread drains them after a
    /// stop (a socket that was not detached keeps receiving, and would never be drained).
    var hasDatagramsToDrain: Bool { detachOnStop && holdfast_pending_bytes(descriptor) > 0 }

    /// Stops reading and closes the socket; later replies are dropped.
    func close() {
        stopReading()
        closeDescriptor()
    }

    /// Sends prepared datagrams (the reading thread's burst). Returns without sending when closed.
    func send(_ messages: UnsafeMutablePointer<holdfast_mmsghdr>, count: Int) {
        sendLock.withLock { open in
            guard open else { return }
            var sent = 0
            while sent < count {
                let result = holdfast_sendmmsg(descriptor, messages + sent, UInt32(count - sent))
                if result > 0 {
                    sent += Int(result)
                } else if result < 0 && errno == EINTR {
                    continue
                } else {
                    sent += 1 // this destination failed (unreachable, no route): skip it, send the rest
                }
            }
        }
    }

    /// Sends one reply (a resolved miss) to `address`. Dropped when the socket is closed.
    func send(_ bytes: [UInt8], to address: sockaddr_storage) {
        var destination = address
        let length = socklen_t(Int32(destination.ss_family) == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        sendLock.withLock { open in
            guard open else { return }
            _ = bytes.withUnsafeBytes { payload in
                withUnsafePointer(to: &destination) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, payload.baseAddress, payload.count, 0, $0, length)
                    }
                }
            }
        }
    }
}
