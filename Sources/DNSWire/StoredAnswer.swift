// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A complete answer kept as wire bytes so a cache hit is a copy and a few patches:
/// the ID, the RD/CD flags, the question name's case and every record's TTL.
///
/// The stored message has no OPT record; `render` appends one (with an optional Extended
/// DNS Error) when the client sent EDNS. TTLs are stored as received (after clamping).
public struct StoredAnswer: Sendable {
    /// The answer without OPT, ID 0, question in the case it was stored with.
    public let bytes: [UInt8]
    /// Offsets of the TTL fields of every record, in order.
    public let ttlOffsets: [UInt16]
    /// Length of the question name at offset 12.
    public let questionNameLength: Int
    /// The smallest TTL of the records (what the entry lives for); `fallbackTTL` when none.
    public let minimumTTL: UInt32
    public let rcode: DNSRCode

    /// Encodes `message` for storage. Returns nil when it has no question or is too large to
    /// be worth caching (over 65 535 bytes is impossible; we keep answers up to 16 KiB).
    public init?(message: DNSMessage, fallbackTTL: UInt32 = 0) {
        guard let question = message.questions.first, message.questions.count == 1 else { return nil }
        var copy = message
        copy.edns = nil
        copy.header.id = 0
        copy.header.truncated = false
        let encoded = copy.encode()
        guard encoded.bytes.count <= 16_384, !encoded.truncated else { return nil }
        bytes = encoded.bytes
        ttlOffsets = encoded.ttlOffsets.map { UInt16($0) }
        questionNameLength = question.name.wireBytes.count
        let ttls = message.answers.map(\.ttl) + message.authorities.map(\.ttl) + message.additionals.map(\.ttl)
        minimumTTL = ttls.min() ?? fallbackTTL
        rcode = message.rcode
    }

    /// Restores a stored answer from its parts (used by the snapshot loader).
    public init(bytes: [UInt8], ttlOffsets: [UInt16], questionNameLength: Int, minimumTTL: UInt32, rcode: DNSRCode) {
        self.bytes = bytes
        self.ttlOffsets = ttlOffsets
        self.questionNameLength = questionNameLength
        self.minimumTTL = minimumTTL
        self.rcode = rcode
    }

    /// Checks that the parts are consistent, so `render` can trust them: the bytes decode as a
    /// message with exactly one question, written uncompressed at offset 12 with
    /// `questionNameLength` bytes, no OPT record, and `ttlOffsets` naming exactly the TTL field
    /// of every record in order. Meant for entries restored from outside (snapshots).
    public var isWellFormed: Bool {
        guard questionNameLength >= 1, bytes.count >= 12 + questionNameLength + 4 else { return false }
        guard let message = try? DNSMessage(parsing: bytes), message.edns == nil, message.questions.count == 1,
              message.questions[0].name.wireBytes.elementsEqual(bytes[12..<(12 + questionNameLength)])
        else { return false }
        guard let actual = try? Self.recordTTLOffsets(in: bytes) else { return false }
        return actual.elementsEqual(ttlOffsets.lazy.map(Int.init))
    }

    /// Offsets of the TTL field of every record after the question section.
    static func recordTTLOffsets(in bytes: [UInt8]) throws(DNSWireError) -> [Int] {
        let result: Result<[Int], DNSWireError> = bytes.withUnsafeBytes { buffer in
            do throws(DNSWireError) {
                var reader = DNSReader(buffer, offset: 4)
                let questions = try reader.readUInt16()
                let records = Int(try reader.readUInt16()) + Int(try reader.readUInt16()) + Int(try reader.readUInt16())
                for _ in 0..<questions {
                    _ = try reader.readName()
                    try reader.skip(4)
                }
                var offsets: [Int] = []
                for _ in 0..<records {
                    _ = try reader.readName()
                    try reader.skip(4)
                    offsets.append(reader.offset)
                    try reader.skip(4)
                    try reader.skip(Int(try reader.readUInt16()))
                }
                return .success(offsets)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// What the TTLs in the rendered answer should be.
    public enum TTLMode: Sendable {
        /// Original TTLs minus the seconds the entry has been stored (never below 0).
        case countDown(elapsedSeconds: UInt32)
        /// Every TTL set to this value (serve-stale answers).
        case fixed(UInt32)
    }

    /// Bytes `render` may write at most.
    public func maximumRenderedSize(edeCount: Int) -> Int { bytes.count + 11 + edeCount * 6 }

    /// Writes the answer for a client into `output` and returns the byte count written.
    ///
    /// - Parameters:
    ///   - id: the client's query ID.
    ///   - clientQuestionName: the client's name bytes (same name, possibly other case).
    ///   - queryFlags: the client's header flags (RD and CD are copied).
    ///   - clientEDNS: the client's OPT, if any: an OPT with payload 1232, its DO bit and the
    ///     upper bits of `rcode` (e.g. BADVERS) is added.
    ///   - extendedErrors: EDE info codes to attach (only when the client sent EDNS).
    ///   - maxSize: the most bytes the transport allows; larger answers become TC=1 stubs.
    /// `output` must hold at least `maximumRenderedSize(edeCount:)` bytes.
    public func render(
        into output: UnsafeMutableRawBufferPointer, id: UInt16, clientQuestionName: UnsafeRawBufferPointer,
        queryFlags: UInt16, clientEDNS: EDNS?, ttl: TTLMode, extendedErrors: [UInt16] = [], maxSize: Int
    ) -> Int {
        let optLength = clientEDNS == nil ? 0 : 11 + extendedErrors.count * 6
        let fits = bytes.count + optLength <= maxSize
        let bodyLength = fits ? bytes.count : 12 + questionNameLength + 4
        bytes.withUnsafeBytes { stored in
            UnsafeMutableRawBufferPointer(rebasing: output[0..<bodyLength])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: stored[0..<bodyLength]))
        }
        // ID, flags: QR=1, RA=1, RD and CD from the query, TC when cut.
        output[0] = UInt8(id >> 8)
        output[1] = UInt8(id & 0xFF)
        // Opcode, AD and rcode come from the stored answer; AA is cleared (we are not the
        // authority for forwarded data), TC only when cut here.
        typealias Flag = DNSHeader.Flag
        let keepMask = Flag.opcode | Flag.authenticData | Flag.rcode
        let storedFlags = UInt16(output[2]) << 8 | UInt16(output[3])
        var flags = (storedFlags & keepMask) | Flag.response | Flag.recursionAvailable
            | (queryFlags & (Flag.recursionDesired | Flag.checkingDisabled))
        if !fits { flags |= Flag.truncated }
        output[2] = UInt8(flags >> 8)
        output[3] = UInt8(flags & 0xFF)
        // The client's spelling of the question name.
        if clientQuestionName.count == questionNameLength {
            for index in 0..<questionNameLength { output[12 + index] = clientQuestionName[index] }
        }
        if fits {
            for offset in ttlOffsets {
                let position = Int(offset)
                let value: UInt32
                switch ttl {
                case .fixed(let fixed):
                    value = fixed
                case .countDown(let elapsed):
                    let original = UInt32(output[position]) << 24 | UInt32(output[position + 1]) << 16
                        | UInt32(output[position + 2]) << 8 | UInt32(output[position + 3])
                    value = original > elapsed ? original - elapsed : 0
                }
                output[position] = UInt8(value >> 24)
                output[position + 1] = UInt8((value >> 16) & 0xFF)
                output[position + 2] = UInt8((value >> 8) & 0xFF)
                output[position + 3] = UInt8(value & 0xFF)
            }
        } else {
            for index in 6..<12 { output[index] = 0 }
        }
        var length = bodyLength
        if let clientEDNS {
            // Wrapping: a corrupt restored entry must not trap here (see `isWellFormed`).
            let arCount = (UInt16(output[10]) << 8 | UInt16(output[11])) &+ 1
            output[10] = UInt8(arCount >> 8)
            output[11] = UInt8(arCount & 0xFF)
            let optionBytes = extendedErrors.count * 6
            let opt: [UInt8] = [
                0, 0, 41,  // root, type OPT
                UInt8(EDNS.defaultUDPPayloadSize >> 8), UInt8(EDNS.defaultUDPPayloadSize & 0xFF),
                UInt8(truncatingIfNeeded: rcode.rawValue >> 4), 0,  // extended rcode, version 0
                clientEDNS.dnssecOK ? UInt8(EDNS.dnssecOKFlag >> 8) : 0, 0,
                UInt8(optionBytes >> 8), UInt8(optionBytes & 0xFF),
            ]
            for byte in opt {
                output[length] = byte
                length += 1
            }
            for code in extendedErrors {
                for byte in [0, 15, 0, 2, UInt8(code >> 8), UInt8(code & 0xFF)] as [UInt8] {
                    output[length] = byte
                    length += 1
                }
            }
        }
        return length
    }

    /// Renders into a new array (tests and cold paths).
    public func render(id: UInt16, clientQuestionName: [UInt8], queryFlags: UInt16, clientEDNS: EDNS?, ttl: TTLMode, extendedErrors: [UInt16] = [], maxSize: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: maximumRenderedSize(edeCount: extendedErrors.count))
        let count = output.withUnsafeMutableBytes { out in
            clientQuestionName.withUnsafeBytes { name in
                render(into: out, id: id, clientQuestionName: name, queryFlags: queryFlags, clientEDNS: clientEDNS, ttl: ttl, extendedErrors: extendedErrors, maxSize: maxSize)
            }
        }
        output.removeLast(output.count - count)
        return output
    }
}
