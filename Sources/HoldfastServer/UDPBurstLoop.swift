// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import CSocketBatch
import HoldfastResolver

#if canImport(Glibc)
import Glibc
#endif

/// The reading thread of one `UDPListener`: fixed buffers for a burst of datagrams and their
/// replies, allocated once, and the loop that serves them. Owned by that thread alone.
///
/// Per wake: one blocking `recvmmsg` (MSG_WAITFORONE: the first datagram, then whatever else
/// is queued, up to `burst`), the synchronous answers written into the reply slots, the first
/// sent at once and the rest with one `sendmmsg`.
struct UDPBurstLoop: ~Copyable {
    /// What the new thread needs, passed through `pthread_create`'s argument.
    final class Start: Sendable {
        let listener: UDPListener
        let shared: ServerShared
        init(listener: UDPListener, shared: ServerShared) {
            self.listener = listener
            self.shared = shared
        }
    }

    static let burst = 32
    /// Bytes per datagram slot, both ways: queries are far smaller, and UDP answers are capped
    /// at 1232 bytes (larger stored answers are truncated as they are written).
    static let slotSize = 4096

    private let listener: UDPListener
    private let shared: ServerShared
    private let queries: UnsafeMutableRawPointer
    private let replies: UnsafeMutableRawPointer
    private let senders: UnsafeMutablePointer<sockaddr_storage>
    private let inVectors: UnsafeMutablePointer<iovec>
    private let inHeaders: UnsafeMutablePointer<holdfast_mmsghdr>
    private let outVectors: UnsafeMutablePointer<iovec>
    private let outHeaders: UnsafeMutablePointer<holdfast_mmsghdr>

    init(listener: UDPListener, shared: ServerShared) {
        self.listener = listener
        self.shared = shared
        let count = Self.burst
        queries = .allocate(byteCount: count * Self.slotSize, alignment: 16)
        replies = .allocate(byteCount: count * Self.slotSize, alignment: 16)
        senders = .allocate(capacity: count)
        senders.initialize(repeating: sockaddr_storage(), count: count)
        inVectors = .allocate(capacity: count)
        outVectors = .allocate(capacity: count)
        inHeaders = .allocate(capacity: count)
        outHeaders = .allocate(capacity: count)
        for index in 0..<count {
            inVectors[index] = iovec(iov_base: queries + index * Self.slotSize, iov_len: Self.slotSize)
            outVectors[index] = iovec(iov_base: replies + index * Self.slotSize, iov_len: 0)
            inHeaders[index] = holdfast_mmsghdr()
            inHeaders[index].msg_hdr.msg_name = UnsafeMutableRawPointer(senders + index)
            inHeaders[index].msg_hdr.msg_iov = inVectors + index
            inHeaders[index].msg_hdr.msg_iovlen = 1
            outHeaders[index] = holdfast_mmsghdr()
            outHeaders[index].msg_hdr.msg_iovlen = 1
        }
    }

    deinit {
        queries.deallocate()
        replies.deallocate()
        senders.deinitialize(count: Self.burst)
        senders.deallocate()
        inVectors.deallocate()
        outVectors.deallocate()
        inHeaders.deallocate()
        outHeaders.deallocate()
    }

    /// Reads until stopped; after a stop, until the datagrams already queued are read (a
    /// detached socket receives no more, see `UDPListener.stopReading`).
    mutating func run() {
        while !listener.isStopping || listener.hasDatagramsToDrain {
            for index in 0..<Self.burst { inHeaders[index].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size) }
            let received = holdfast_recvmmsg_wait(listener.descriptor, inHeaders, UInt32(Self.burst))
            // Nothing read: the stop signal (EINTR) or an error the socket reports (an ICMP
            // error); neither may end the listener, only `isStopping` does. A descriptor that
            // is not a usable socket would fail forever: say so and stop reading (the
            // watchdog then sees the datagrams pile up).
            guard received > 0 else {
                let code = errno
                if received < 0 && (code == EBADF || code == ENOTSOCK || code == EINVAL || code == EFAULT) {
                    shared.logger.critical("UDP listener cannot read its socket", metadata: ["errno": "\(code)"])
                    return
                }
                continue
            }
            listener.countBurst()
            answer(count: Int(received))
        }
    }

    /// Answers what it can of the burst now, queues the misses, and sends the replies.
    private func answer(count: Int) {
        var ready = 0
        var sentFirst = false
        for index in 0..<count {
            let length = min(Int(inHeaders[index].msg_len), Self.slotSize)
            let packet = UnsafeRawBufferPointer(start: queries + index * Self.slotSize, count: length)
            let client = ClientEndpoint(UnsafePointer(senders + index))
            let slot = UnsafeMutableRawBufferPointer(start: replies + index * Self.slotSize, count: Self.slotSize)
            let written: Int
            switch shared.dispose(packet, transport: .udp, client: client) {
            case .drop:
                continue
            case .raw(let bytes):
                guard bytes.count <= slot.count else { listener.send(bytes, to: senders[index]); continue }
                slot.copyBytes(from: bytes)
                written = bytes.count
            case .answer(let query, let reply):
                guard reply.maximumSize(for: query) <= slot.count else {
                    listener.send(reply.bytes(for: query), to: senders[index])
                    continue
                }
                written = reply.write(into: slot, for: query)
            case .resolve(let query):
                let listener = self.listener
                let sender = senders[index]
                shared.submit(query) { reply in listener.send(reply.bytes(for: query), to: sender) }
                continue
            }
            outVectors[ready].iov_base = slot.baseAddress
            outVectors[ready].iov_len = written
            outHeaders[ready].msg_hdr.msg_name = UnsafeMutableRawPointer(senders + index)
            outHeaders[ready].msg_hdr.msg_namelen = inHeaders[index].msg_hdr.msg_namelen
            outHeaders[ready].msg_hdr.msg_iov = outVectors + ready
            ready += 1
            if !sentFirst {
                // The first answer of a burst leaves at once: at moderate rates bursts are one
                // or two datagrams and this halves the first client's wait; under load the
                // rest of the burst still goes out in one sendmmsg.
                listener.send(outHeaders, count: ready)
                ready = 0
                sentFirst = true
            }
        }
        if ready > 0 { listener.send(outHeaders, count: ready) }
    }
}
