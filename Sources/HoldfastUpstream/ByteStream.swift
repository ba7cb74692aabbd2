// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc
import HoldfastTLS

/// What one step of a stream connection's handshake, read or write needs next.
enum StreamProgress: Equatable {
    case done
    case wantRead
    case wantWrite
    /// The peer closed the stream (close_notify or EOF).
    case closed
    case failed(String)
}

/// The bytes of one connected, non-blocking socket as a `StreamConnection` moves them: through
/// TLS (`TLSByteStream`) or as they are (`PlainStream`, transport `tcp`). The connection owns
/// and closes the socket. Loop-thread only.
protocol ByteStream: AnyObject {
    /// Advances the handshake; `.done` once the stream can carry bytes.
    func handshake() -> StreamProgress
    /// Reads into `buffer`; `count` is how many arrived. `.done` after some were read.
    func read(into buffer: UnsafeMutableRawBufferPointer, count: inout Int) -> StreamProgress
    /// Writes from `bytes`; `written` is how many were taken (partial writes allowed).
    func write(_ bytes: UnsafeRawBufferPointer, written: inout Int) -> StreamProgress
    /// True when the finished handshake resumed an earlier TLS session.
    var resumed: Bool { get }
    /// The protocol ALPN settled on (TLS only).
    var negotiatedProtocol: String? { get }
    /// Ends the stream politely (TLS close_notify); the socket is closed next.
    func close()
}

/// TLS on the socket (`tls`, `https`).
final class TLSByteStream: ByteStream {
    private let session: TLSSession

    init(_ session: TLSSession) { self.session = session }

    func handshake() -> StreamProgress { Self.map(session.handshake()) }
    func read(into buffer: UnsafeMutableRawBufferPointer, count: inout Int) -> StreamProgress {
        Self.map(session.read(into: buffer, count: &count))
    }
    func write(_ bytes: UnsafeRawBufferPointer, written: inout Int) -> StreamProgress {
        Self.map(session.write(bytes, written: &written))
    }
    var resumed: Bool { session.resumed }
    var negotiatedProtocol: String? { session.negotiatedProtocol }
    func close() { session.close() }

    private static func map(_ progress: TLSSession.Progress) -> StreamProgress {
        switch progress {
        case .done: .done
        case .wantRead: .wantRead
        case .wantWrite: .wantWrite
        case .closed: .closed
        case .failed(let error): .failed(error.description)
        }
    }
}

/// The socket's bytes as they are (`tcp`: DNS over TCP, RFC 7766): no handshake beyond the
/// connect, which the connection has already seen finish.
final class PlainStream: ByteStream {
    private let fd: Int32

    init(fd: Int32) { self.fd = fd }

    func handshake() -> StreamProgress { .done }

    func read(into buffer: UnsafeMutableRawBufferPointer, count: inout Int) -> StreamProgress {
        count = 0
        while true {
            let rc = recv(fd, buffer.baseAddress, buffer.count, 0)
            if rc > 0 {
                count = rc
                return .done
            }
            if rc == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wantRead
            default: return .failed("read: \(String(cString: strerror(errno)))")
            }
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, written: inout Int) -> StreamProgress {
        written = 0
        guard !bytes.isEmpty else { return .done }
        while true {
            // MSG_NOSIGNAL: a server that closed the connection is an error here, not SIGPIPE.
            let rc = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if rc >= 0 {
                written = rc
                return rc > 0 ? .done : .wantWrite
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wantWrite
            case EPIPE, ECONNRESET: return .closed
            default: return .failed("write: \(String(cString: strerror(errno)))")
            }
        }
    }

    var resumed: Bool { false }
    var negotiatedProtocol: String? { nil }
    func close() {}
}
