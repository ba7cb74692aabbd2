// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// How a query reached us.
public enum Transport: String, Sendable {
    case udp, tcp
}

/// Where an answer came from, for metrics and the query log.
public enum AnswerSource: String, Sendable, CaseIterable {
    /// `held`: the last positive answer of a name held by the collapse guard, a
    /// `last_known_good` pattern or an operator's `holdfastctl hold`.
    case local, cache, stale, upstream, held, error
}

/// A client's address without allocation: 16 address bytes (IPv4 as the last 4) and a port.
public struct ClientEndpoint: Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public var port: UInt16
    public var isIPv6: Bool

    public init(high: UInt64 = 0, low: UInt64 = 0, port: UInt16 = 0, isIPv6: Bool = false) {
        self.high = high
        self.low = low
        self.port = port
        self.isIPv6 = isIPv6
    }

    public var description: String {
        if !isIPv6 {
            let value = UInt32(truncatingIfNeeded: low)
            return "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF):\(port)"
        }
        var bytes: [UInt8] = []
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
        return "[\(formatIPv6(bytes))]:\(port)"
    }
}

/// One parsed client query and what its answer must respect.
public struct ClientQuery: Sendable {
    public var header: DNSHeader
    public var question: DNSQuestion
    public var edns: EDNS?
    public var transport: Transport
    /// The most bytes the answer may take (UDP: the client's EDNS size capped at 1232, or 512).
    public var maxResponseSize: Int
    public var client: ClientEndpoint
    /// Monotonic nanoseconds at arrival, for latency.
    public var receivedNanos: UInt64

    public init(header: DNSHeader, question: DNSQuestion, edns: EDNS?, transport: Transport, maxResponseSize: Int, client: ClientEndpoint, receivedNanos: UInt64) {
        self.header = header
        self.question = question
        self.edns = edns
        self.transport = transport
        self.maxResponseSize = maxResponseSize
        self.client = client
        self.receivedNanos = receivedNanos
    }
}

/// An answer ready to be written for a `ClientQuery`.
public enum Reply: Sendable {
    /// A stored answer, patched for this client as it is written.
    case stored(StoredAnswer, ttl: StoredAnswer.TTLMode, extendedErrors: [UInt16])
    /// A message built for this client (local answers, errors); encoded with the size limit.
    case message(DNSMessage)

    /// The rcode the client will see.
    public var rcode: DNSRCode {
        switch self {
        case .stored(let answer, _, _): return answer.rcode
        case .message(let message): return message.rcode
        }
    }

    /// Upper bound of `write(into:for:)`'s byte count.
    public func maximumSize(for query: ClientQuery) -> Int {
        switch self {
        case .stored(let answer, _, let codes): return answer.maximumRenderedSize(edeCount: codes.count)
        case .message(let message): return min(message.encode().bytes.count, max(query.maxResponseSize, 600)) + 64
        }
    }

    /// Writes the answer's bytes; `output` holds at least `maximumSize(for:)` bytes.
    public func write(into output: UnsafeMutableRawBufferPointer, for query: ClientQuery) -> Int {
        switch self {
        case .stored(let answer, let ttl, let codes):
            return query.question.name.wireBytes.withUnsafeBytes { name in
                answer.render(
                    into: output, id: query.header.id, clientQuestionName: name, queryFlags: query.header.flags,
                    clientEDNS: query.edns, ttl: ttl, extendedErrors: codes, maxSize: query.maxResponseSize)
            }
        case .message(let message):
            let bytes = message.serialize(maxSize: query.maxResponseSize)
            let count = min(bytes.count, output.count)
            for index in 0..<count { output[index] = bytes[index] }
            return count
        }
    }

    /// The answer as a new array (tests, TCP slow path).
    public func bytes(for query: ClientQuery) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: maximumSize(for: query))
        let count = output.withUnsafeMutableBytes { write(into: $0, for: query) }
        output.removeLast(output.count - count)
        return output
    }
}
