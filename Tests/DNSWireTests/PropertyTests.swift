// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import PropertyBased
import Testing
@testable import DNSWire

@Suite("Property tests")
struct PropertyTests {
    @Test("random messages round-trip encode → decode")
    func roundTrip() async {
        await propertyCheck(count: 1000, input: DNSGen.message) { message in
            let encoded = message.encode()
            #expect(!encoded.truncated)
            let decoded = try DNSMessage(parsing: encoded.bytes)
            #expect(decoded == message)
            #expect(decoded.rcode == message.rcode)
        }
    }

    @Test("ParsedQuery agrees with the full decoder on valid messages")
    func parsedQueryAgrees() async {
        await propertyCheck(count: 500, input: DNSGen.message) { message in
            let query = try ParsedQuery(bytes: message.serialize())
            #expect(query.header == message.header)
            #expect(Int(query.questionCount) == message.questions.count)
            if message.questions.count <= 1 {
                #expect(query.question == message.questions.first)
                #expect(query.question.map { $0.name.hasIdenticalCase(to: message.questions[0].name) } ?? true)
                #expect(query.edns == message.edns)
            }
        }
    }

    @Test("StoredAnswer renders what it stored")
    func storedAnswerRoundTrip() async {
        await propertyCheck(count: 300, input: DNSGen.answerable) { message in
            guard let answer = StoredAnswer(message: message) else { return }
            #expect(answer.isWellFormed)
            let bytes = answer.render(
                id: message.header.id, clientQuestionName: message.questions[0].name.wireBytes, queryFlags: message.header.flags,
                clientEDNS: nil, ttl: .countDown(elapsedSeconds: 0), maxSize: 65535)
            let decoded = try DNSMessage(parsing: bytes)
            #expect(decoded.questions == message.questions)
            #expect(decoded.answers == message.answers)
            #expect(decoded.authorities == message.authorities)
            #expect(decoded.additionals == message.additionals)
            #expect(decoded.header.rcodeLow == message.header.rcodeLow)
        }
    }

    @Test("random bytes never crash either parser")
    func noise() async {
        await propertyCheck(count: 2000, input: DNSGen.noise) { bytes in
            _ = messageError(bytes)
            _ = queryError(bytes)
        }
    }

    @Test("random bodies behind plausible headers never crash either parser")
    func plausible() async {
        await propertyCheck(count: 2000, input: DNSGen.plausible) { bytes in
            _ = messageError(bytes)
            _ = queryError(bytes)
        }
    }

    @Test("mutated valid packets never crash, and whatever decodes re-encodes stably")
    func mutations() async {
        await propertyCheck(count: 3000, input: DNSGen.mutated) { bytes in
            _ = queryError(bytes)
            guard let message = try? DNSMessage(parsing: bytes) else { return }
            let again = try DNSMessage(parsing: message.serialize())
            #expect(again == message)
        }
    }

    @Test("mutated queries never crash, and whatever parses agrees with the full decoder")
    func mutatedQueries() async {
        await propertyCheck(count: 3000, input: DNSGen.mutatedQuery) { bytes in
            let query = try? ParsedQuery(bytes: bytes)
            guard let message = try? DNSMessage(parsing: bytes) else { return }
            // Whatever the full decoder accepts, the query parser accepts with the same view.
            let parsed = try #require(query)
            if message.questions.count == 1 {
                #expect(parsed.question == message.questions[0])
                #expect(parsed.edns == message.edns)
            }
        }
    }
}
