// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// libFuzzer entry point for the wire codec. Properties checked on every input:
/// - decoding never crashes (any bytes);
/// - a message that decodes re-encodes to bytes that decode to an equal message, and does so
///   again under a size limit (cut to a TC=1 stub that still decodes);
/// - `ParsedQuery` (the server's fast path) accepts every single-question message the full
///   decoder accepts and agrees with it on header, question and EDNS;
/// - a cacheable message (`StoredAnswer`) is well formed and renders, for a client with a
///   differently cased name and any EDNS, to bytes that decode, carry the client's ID and
///   never exceed the size limit by more than the stub.
/// - an upstream reply the in-place scan (`ScannedReply`) accepts is one the full decoder
///   accepts, and its stored form (the reply's own bytes) holds the same records, lowercased,
///   and renders like any stored answer.
/// A violated property traps (`fatalError`), which libFuzzer records as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWireCodec(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let buffer = UnsafeRawBufferPointer(start: start, count: count)
    let bytes = Array(buffer)
    checkParsedQuery(buffer)
    checkScannedReply(bytes)
    guard let message = try? DNSMessage(parsing: bytes) else { return 0 }
    checkRoundTrip(message)
    checkParsedQueryAgrees(message, bytes: bytes)
    checkStoredAnswer(message, seed: bytes)
    return 0
}

/// The fast query parser on arbitrary bytes: must not crash; what it accepts must be sane.
private func checkParsedQuery(_ buffer: UnsafeRawBufferPointer) {
    guard let parsed = try? ParsedQuery(buffer: buffer) else { return }
    let limit = parsed.udpResponseLimit()
    require(limit >= 512 && limit <= 1232, "udpResponseLimit \(limit) outside [512, 1232]")
    if parsed.questionCount == 1 { require(parsed.question != nil, "QDCOUNT 1 without a question") }
}

private func checkRoundTrip(_ message: DNSMessage) {
    let encoded = message.encode()
    require(!encoded.truncated, "unlimited encode truncated")
    guard let again = try? DNSMessage(parsing: encoded.bytes) else {
        fail("re-encoded message does not decode: \(hex(encoded.bytes))")
    }
    require(again == message, "round trip changed the message:\n\(message)\n\(again)")
    // The same again must encode to the same bytes (encoding is deterministic).
    require(again.encode().bytes == encoded.bytes, "encoding is not stable")
    for limit in [512, 1232] {
        let cut = message.encode(maxSize: limit)
        guard let decoded = try? DNSMessage(parsing: cut.bytes) else { fail("size-limited encode does not decode") }
        if cut.truncated {
            require(decoded.header.truncated, "cut message without TC")
            require(decoded.answers.isEmpty && decoded.authorities.isEmpty && decoded.additionals.isEmpty, "cut message kept records")
            require(decoded.questions == message.questions, "cut message lost its question")
        } else {
            require(cut.bytes.count <= limit, "uncut message over the limit")
        }
    }
}

private func checkParsedQueryAgrees(_ message: DNSMessage, bytes: [UInt8]) {
    guard message.questions.count <= 1 else { return }
    let parsed: ParsedQuery
    do {
        parsed = try ParsedQuery(bytes: bytes)
    } catch {
        fail("ParsedQuery rejects what DNSMessage accepts (\(error)): \(hex(bytes))")
    }
    require(parsed.header == message.header, "ParsedQuery header differs")
    require(parsed.question == message.questions.first, "ParsedQuery question differs")
    if let name = parsed.question?.name, let full = message.questions.first?.name {
        require(name.hasIdenticalCase(to: full), "ParsedQuery changed the name's case")
    }
    require(parsed.edns == message.edns, "ParsedQuery EDNS differs: \(String(describing: parsed.edns)) vs \(String(describing: message.edns))")
}

private func checkStoredAnswer(_ message: DNSMessage, seed: [UInt8]) {
    guard let stored = StoredAnswer(message: message) else { return }
    require(stored.isWellFormed, "StoredAnswer from a decoded message is not well formed")
    guard let question = message.questions.first else { fail("stored answer without question") }
    checkStoredAnswer(stored, question: question, answerCount: message.answers.count, seed: seed)
}

/// Renders `stored` for clients (any case, with and without EDNS, three size limits).
private func checkStoredAnswer(_ stored: StoredAnswer, question: DNSQuestion, answerCount: Int, seed: [UInt8]) {
    var generator = SeededGenerator(seed: seed)
    let clientName = question.name.randomizingCase(using: &generator)
    let flags = seed.count > 3 ? UInt16(seed[2]) << 8 | UInt16(seed[3]) : 0
    let ednsChoices: [EDNS?] = [nil, EDNS(udpPayloadSize: 4096, dnssecOK: true)]
    for clientEDNS in ednsChoices {
        for limit in [512, 1232, 65_535] {
            let codes: [UInt16] = clientEDNS == nil ? [] : [3, 22]
            let rendered = stored.render(
                id: 0xBEEF, clientQuestionName: clientName.wireBytes, queryFlags: flags, clientEDNS: clientEDNS,
                ttl: .countDown(elapsedSeconds: 7), extendedErrors: codes, maxSize: limit)
            guard let decoded = try? DNSMessage(parsing: rendered) else {
                fail("rendered stored answer does not decode: \(hex(rendered))")
            }
            require(decoded.header.id == 0xBEEF, "rendered answer lost the client's ID")
            require(decoded.questions.count == 1 && decoded.questions[0].name.hasIdenticalCase(to: clientName),
                    "rendered answer lost the client's question spelling")
            require((decoded.edns != nil) == (clientEDNS != nil), "OPT present iff the client sent one")
            if !decoded.header.truncated {
                require(rendered.count <= limit, "rendered answer \(rendered.count) bytes over limit \(limit)")
                require(decoded.answers.count == answerCount, "rendered answer lost records")
            }
        }
    }
}

/// The upstream-reply scan (issue 25), on any bytes: what it accepts the full decoder accepts
/// too, and its stored form (the reply's own bytes, ID 0, TC clear, OPT cut off, names
/// lowercased) decodes to the same records, every name lowercase, TTL offsets exact; then it
/// renders for clients like any stored answer.
private func checkScannedReply(_ bytes: [UInt8]) {
    guard let scanned = ScannedReply(reply: bytes) else { return }
    guard var expected = try? DNSMessage(parsing: bytes) else {
        fail("ScannedReply accepts what DNSMessage rejects: \(hex(bytes))")
    }
    require(expected.questions.count == 1, "scanned reply without exactly one question")
    require(expected.rcode == scanned.rcode, "scanned rcode \(scanned.rcode) vs \(expected.rcode)")
    require(expected.header.truncated == scanned.wasTruncated, "scanned TC differs")
    expected.edns = nil
    expected.header.id = 0
    expected.header.truncated = false
    guard let stored = try? DNSMessage(parsing: scanned.bytes) else {
        fail("scanned stored form does not decode: \(hex(scanned.bytes))")
    }
    require(stored == expected, "scanned stored form differs from the decoded reply:\n\(expected)\n\(stored)")
    var names = stored.questions.map(\.name)
    for record in stored.answers + stored.authorities + stored.additionals {
        names.append(record.name)
        switch record.data {
        case .name(let name), .mx(_, let name), .srv(_, _, _, let name): names.append(name)
        case .soa(let soa): names += [soa.mname, soa.rname]
        default: break
        }
    }
    for name in names { require(name.hasIdenticalCase(to: name.lowercased()), "scanned name \(name) not lowercase") }
    let answer = scanned.storedAnswer()
    require(answer.isWellFormed, "scanned stored answer is not well formed")
    checkStoredAnswer(answer, question: stored.questions[0], answerCount: stored.answers.count, seed: bytes)
}

/// Deterministic generator so a crash reproduces from its input alone.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: [UInt8]) {
        var value: UInt64 = 0x9E37_79B9_7F4A_7C15
        for byte in seed.prefix(64) { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        state = value
    }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fail(message()) }
}

private func fail(_ message: String) -> Never {
    fatalError("FuzzWireCodec property violated: \(message)")
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.prefix(256).map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}
