// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import CHoldfastH2
import DNSWire

/// What a codec makes of bytes read from its connection.
enum CodecEvent {
    /// The answer to query `id`, its ID field set to `id`.
    case reply(id: UInt16, [UInt8])
    /// Query `id` failed at the server (an HTTP status, a reset stream).
    case failed(id: UInt16, UpstreamError)
    /// The server did not process query `id` (HTTP/2 REFUSED_STREAM, or above a GOAWAY's last
    /// stream): it may be sent again, on another connection, without counting as a loss.
    case refused(id: UInt16)
    /// The byte stream is unusable (an HTTP/2 protocol error): close the connection.
    case broken(String)
}

/// HTTP/2 error codes (RFC 9113 section 7) the DoH codec acts on.
enum HTTP2ErrorCode {
    /// The server did not process the stream: it may be retried on another connection.
    static let refusedStream: UInt32 = 0x7
}

/// How DNS queries and answers are laid out on one stream connection: DNS over TCP's and
/// DNS over TLS's length-prefixed messages, or DNS over HTTPS's HTTP/2 streams. One codec per connection;
/// loop-thread only.
protocol StreamCodec: AnyObject {
    /// Queries this connection may carry at once.
    var capacity: Int { get }
    /// True once the server said it takes no more (GOAWAY): a new connection takes new queries.
    var isDraining: Bool { get }
    /// The server's idle timeout, once it sent one (edns-tcp-keepalive).
    var serverIdleTimeout: Duration? { get }
    /// Lays out query `id` (the message carries that ID) at the end of `output`, the bytes the
    /// connection writes next; false when it cannot be sent here.
    func submit(id: UInt16, message: [UInt8], into output: inout [UInt8]) -> Bool
    /// Takes bytes read from the connection, telling `handle` what finished, and appends to
    /// `output` anything the protocol must write back (HTTP/2 acknowledgements).
    func received(_ bytes: ArraySlice<UInt8>, output: inout [UInt8], handle: (CodecEvent) -> Void)
    /// Appends what the protocol wants written unasked (the HTTP/2 connection preface).
    func pendingOutput(into output: inout [UInt8])
}

/// DNS over TCP (RFC 7766) and DNS over TLS (RFC 7858): each message with its two-octet
/// length; answers matched by ID (and by question, in the engine).
final class DNSOverTLSCodec: StreamCodec {
    private var framer = DNSStreamFramer()
    private var keepaliveChecked = false
    private(set) var serverIdleTimeout: Duration?

    /// Queries on one connection at once; more wait for answers.
    static let maxInFlight = 128
    var capacity: Int { Self.maxInFlight }
    var isDraining: Bool { false }

    func submit(id: UInt16, message: [UInt8], into output: inout [UInt8]) -> Bool {
        DNSStreamFramer.appendFrame(message, to: &output)
        return true
    }

    func received(_ bytes: ArraySlice<UInt8>, output: inout [UInt8], handle: (CodecEvent) -> Void) {
        framer.append(bytes)
        while let message = framer.next() {
            guard message.count >= 12 else { continue }
            if !keepaliveChecked {
                // The first answer says whether the server wants the connection closed sooner.
                keepaliveChecked = true
                if let timeout = (try? ParsedQuery(bytes: message))?.edns?.tcpKeepaliveTimeout {
                    serverIdleTimeout = .milliseconds(Int(timeout) * 100)
                }
            }
            handle(.reply(id: UInt16(message[0]) << 8 | UInt16(message[1]), message))
        }
    }

    func pendingOutput(into output: inout [UInt8]) {}
}

/// DNS over HTTPS (RFC 8484) over HTTP/2: one POST stream per query with an
/// `application/dns-message` body, message ID 0 on the wire (§4.1), answers matched by stream;
/// a status other than 200 or another content type fails the query. The server's stream limit
/// (SETTINGS_MAX_CONCURRENT_STREAMS) is honoured and its GOAWAY drains the connection.
final class DNSOverHTTPSCodec: StreamCodec {
    private let session: OpaquePointer
    private var broken: String?

    /// Fewer streams than this at once even when the server allows more.
    static let maxInFlight = 100

    init?(authority: String, path: String) {
        guard let session = holdfast_h2_new(authority, path) else { return nil }
        self.session = session
    }

    deinit { holdfast_h2_free(session) }

    var capacity: Int { min(Self.maxInFlight, Int(holdfast_h2_max_concurrent_streams(session))) }
    var isDraining: Bool { holdfast_h2_goaway_last_stream(session) >= 0 || broken != nil }
    var serverIdleTimeout: Duration? { nil }

    func submit(id: UInt16, message: [UInt8], into output: inout [UInt8]) -> Bool {
        guard !isDraining else { return false }
        var body = message
        if body.count >= 2 {
            body[0] = 0
            body[1] = 0
        }
        let stream = body.withUnsafeBufferPointer { holdfast_h2_submit(session, $0.baseAddress, $0.count, UInt32(id)) }
        guard stream > 0 else { return false }
        pendingOutput(into: &output)
        return true
    }

    func received(_ bytes: ArraySlice<UInt8>, output: inout [UInt8], handle: (CodecEvent) -> Void) {
        let rc = bytes.withUnsafeBufferPointer { holdfast_h2_receive(session, $0.baseAddress, $0.count) }
        var done = holdfast_h2_completion()
        while holdfast_h2_peek_completion(session, &done) == 1 {
            handle(Self.event(for: done))
            holdfast_h2_pop_completion(session)
        }
        if rc != 0 {
            broken = "https: HTTP/2 error \(rc)"
            return handle(.broken(broken ?? ""))
        }
        pendingOutput(into: &output)  // SETTINGS ACK, WINDOW_UPDATE, PING ACK
    }

    private static func event(for done: holdfast_h2_completion) -> CodecEvent {
        let id = UInt16(truncatingIfNeeded: done.tag)
        // REFUSED_STREAM, as nghttp2 also closes streams above a GOAWAY's last one.
        if done.error_code == HTTP2ErrorCode.refusedStream { return .refused(id: id) }
        if done.error_code != 0 { return .failed(id: id, .networkError("https: stream reset (HTTP/2 error \(done.error_code))")) }
        guard done.status == 200 else { return .failed(id: id, .networkError("https: HTTP status \(done.status)")) }
        guard done.dns_message == 1 else { return .failed(id: id, .networkError("https: content type is not application/dns-message")) }
        guard done.body_length >= 12, let body = done.body else { return .failed(id: id, .malformedReply) }
        var reply = Array(UnsafeBufferPointer(start: body, count: done.body_length))
        reply[0] = UInt8(id >> 8)
        reply[1] = UInt8(id & 0xFF)
        return .reply(id: id, reply)
    }

    func pendingOutput(into output: inout [UInt8]) {
        _ = holdfast_h2_flush(session)
        var length = 0
        guard let data = holdfast_h2_output(session, &length), length > 0 else { return }
        output.append(contentsOf: UnsafeBufferPointer(start: data, count: length))
        holdfast_h2_consume_output(session, length)
    }
}
