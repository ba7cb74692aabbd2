// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import COpenSSL
import Glibc

/// One TLS client session over a non-blocking socket someone else owns (and closes): drives
/// the handshake, checks the name and pins, and moves bytes. Every call returns at once; a
/// `.wantRead`/`.wantWrite` says which socket readiness to wait for before calling again.
/// Not thread-safe: used by the thread that owns the socket.
public final class TLSSession {
    /// What a handshake, read or write step needs next.
    public enum Progress: Equatable {
        case done
        case wantRead
        case wantWrite
        /// The peer closed the session (close_notify or EOF).
        case closed
        case failed(TLSError)
    }

    private let ssl: OpaquePointer
    private let context: TLSClientContext
    /// True once the handshake finished and the pins matched.
    public private(set) var isEstablished = false
    /// True when the finished handshake resumed an earlier session.
    public private(set) var resumed = false

    public init(socket: Int32, context: TLSClientContext) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw TLSError.fromQueue("cannot create a session") }
        self.ssl = ssl
        self.context = context
        let name = context.settings.serverName
        if SSL_set_fd(ssl, socket) != 1 {
            SSL_free(ssl)
            throw TLSError.fromQueue("cannot attach the socket")
        }
        if !name.isEmpty {
            // SNI is a host name, never an address literal (RFC 6066 §3).
            if !Self.isAddressLiteral(name) { _ = holdfast_tls_set_server_name(ssl, name) }
            if context.settings.verify && holdfast_tls_verify_name(ssl, name) != 1 {
                SSL_free(ssl)
                throw TLSError.fromQueue("cannot check the name \(name)")
            }
        }
        _ = holdfast_tls_offer_session(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Advances the handshake. `.done` once it finished and the pins (if any) matched.
    public func handshake() -> Progress {
        if isEstablished { return .done }
        ERR_clear_error()
        let rc = SSL_connect(ssl)
        if rc == 1 {
            if !context.settings.pins.isEmpty && !chainMatchesPins() {
                return .failed(TLSError("no certificate in the chain matches tls_pins"))
            }
            isEstablished = true
            resumed = SSL_session_reused(ssl) == 1
            return .done
        }
        return progress(after: rc, doing: "handshake")
    }

    /// Writes from `bytes`; `written` is how many were taken (partial writes allowed).
    public func write(_ bytes: UnsafeRawBufferPointer, written: inout Int) -> Progress {
        written = 0
        guard !bytes.isEmpty else { return .done }
        ERR_clear_error()
        let rc = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        if rc > 0 {
            written = Int(rc)
            return .done
        }
        return progress(after: rc, doing: "write")
    }

    /// Reads decrypted bytes into `buffer`; `count` is how many arrived. `.done` after some
    /// were read; call again until it says `.wantRead`.
    public func read(into buffer: UnsafeMutableRawBufferPointer, count: inout Int) -> Progress {
        count = 0
        ERR_clear_error()
        let rc = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if rc > 0 {
            count = Int(rc)
            return .done
        }
        return progress(after: rc, doing: "read")
    }

    /// The protocol the server chose by ALPN ("h2"), nil when it chose none.
    public var negotiatedProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Sends close_notify, without waiting for the peer's (the socket is closed next).
    public func close() {
        if isEstablished { _ = SSL_shutdown(ssl) }
        ERR_clear_error()
    }

    private func progress(after rc: Int32, doing what: String) -> Progress {
        let code = SSL_get_error(ssl, rc)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let saved = errno
            if ERR_peek_error() == 0 {
                // EOF (rc 0) or a socket error: the connection is gone.
                if rc == 0 || saved == 0 || saved == ECONNRESET || saved == EPIPE {
                    return isEstablished ? .closed : .failed(TLSError("\(what): the server closed the connection"))
                }
                return .failed(TLSError("\(what): \(String(cString: strerror(saved)))"))
            }
            return .failed(TLSError.fromQueue(what))
        default:
            let verify = SSL_get_verify_result(ssl)
            if verify != X509_V_OK {
                ERR_clear_error()
                return .failed(TLSError("certificate not trusted: \(String(cString: X509_verify_cert_error_string(verify)))"))
            }
            return .failed(TLSError.fromQueue(what))
        }
    }

    private func chainMatchesPins() -> Bool {
        let pins = context.settings.pins.flatMap { $0 }
        return pins.withUnsafeBufferPointer { buffer in
            holdfast_tls_chain_matches_pins(ssl, buffer.baseAddress, Int32(context.settings.pins.count)) == 1
        }
    }

    private static func isAddressLiteral(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }
}
