// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import COpenSSL

/// How a client authenticates the servers of one provider (RFC 8310): strict (chain, name
/// and pins checked) or opportunistic (`verify = false`: encrypted, not authenticated; pins,
/// when given, are still checked against the chain the server presents).
public struct TLSClientSettings: Sendable, Hashable {
    /// Sent as SNI and, when verifying, checked against the certificate ("" = neither).
    public var serverName: String
    public var verify: Bool
    /// PEM file of trusted CAs; "" = the system store.
    public var caFile: String
    /// SHA-256 digests (32 bytes each) of SubjectPublicKeyInfo; one must be in the chain.
    public var pins: [[UInt8]]

    /// Where Debian keeps the system's trusted CAs.
    public static let systemCAFile = "/etc/ssl/certs/ca-certificates.crt"

    public init(serverName: String, verify: Bool = true, caFile: String = "", pins: [[UInt8]] = []) {
        self.serverName = serverName
        self.verify = verify
        self.caFile = caFile
        self.pins = pins
    }
}

/// Why a TLS context or session could not be set up; the text starts with "tls: ".
public struct TLSError: Error, Sendable, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ what: String) { description = "tls: " + what }

    /// The oldest queued OpenSSL error, or `fallback` when the queue is empty.
    static func fromQueue(_ fallback: String) -> TLSError {
        var buffer = [CChar](repeating: 0, count: 256)
        holdfast_tls_error_text(&buffer, buffer.count)
        let text = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return TLSError(text.isEmpty ? fallback : "\(fallback): \(text)")
    }
}

/// One OpenSSL client context for one upstream server: TLS 1.2 or later, its trust store and
/// verification mode, and the server's last session ticket, offered on the next connection so
/// reconnects are resumed. Not thread-safe: owned and used by one thread (the upstream loop).
public final class TLSClientContext {
    let context: OpaquePointer
    public let settings: TLSClientSettings

    /// `alpn`: protocols to offer (RFC 7301), e.g. ["h2"] for DNS over HTTPS; none for DoT.
    public init(settings: TLSClientSettings, alpn: [String] = []) throws(TLSError) {
        guard let context = holdfast_tls_client_context() else { throw TLSError.fromQueue("cannot create a context") }
        self.context = context
        self.settings = settings
        if !alpn.isEmpty {
            var wire: [UInt8] = []
            for name in alpn {
                wire.append(UInt8(clamping: name.utf8.count))
                wire.append(contentsOf: name.utf8.prefix(255))
            }
            // 0 is success here (unlike most of OpenSSL).
            if SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count)) != 0 {
                holdfast_tls_context_free(context)
                throw TLSError.fromQueue("cannot offer ALPN \(alpn)")
            }
        }
        if settings.verify {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            let file = settings.caFile.isEmpty ? TLSClientSettings.systemCAFile : settings.caFile
            if SSL_CTX_load_verify_locations(context, file, nil) != 1 {
                holdfast_tls_context_free(context)
                throw TLSError.fromQueue("cannot load CA file \(file)")
            }
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
    }

    deinit { holdfast_tls_context_free(context) }
}
