// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Testing

/// Replays the committed wire-codec fuzz inputs (`Fuzz/corpus/wire-codec/`, and every crash
/// the fuzzer ever found, kept in `Fuzz/regressions/wire-codec/`) through the properties the
/// `FuzzWireCodec` target checks, so they hold in every `swift test` run, not only under
/// libFuzzer. A new crash input is added by copying it into `Fuzz/regressions/wire-codec/`.
@Suite("Fuzz regressions (wire codec)")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static var inputs: [String] {
        ["corpus/wire-codec", "regressions/wire-codec"].flatMap { directory -> [String] in
            let path = root.appendingPathComponent(directory).path
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { !$0.hasPrefix(".") }.sorted().map { "\(directory)/\($0)" }
        }
    }

    @Test func corpusIsPresent() {
        #expect(Self.inputs.count >= 20, "no fuzz corpus under \(Self.root.path)")
    }

    @Test(arguments: inputs)
    func input(_ relativePath: String) throws {
        let bytes = Array(try Data(contentsOf: Self.root.appendingPathComponent(relativePath)))
        let parsed = try? ParsedQuery(bytes: bytes)
        guard let message = try? DNSMessage(parsing: bytes) else { return }
        let encoded = message.encode()
        let again = try DNSMessage(parsing: encoded.bytes)
        #expect(again == message, "round trip changed the message")
        #expect(again.encode().bytes == encoded.bytes, "encoding is not stable")
        for limit in [512, 1232] {
            let cut = try DNSMessage(parsing: message.encode(maxSize: limit).bytes)
            #expect(cut.questions == message.questions)
        }
        if message.questions.count <= 1 {
            let query = try #require(parsed, "ParsedQuery rejects what DNSMessage accepts")
            #expect(query.header == message.header)
            #expect(query.question == message.questions.first)
            #expect(query.edns == message.edns)
        }
        if let stored = StoredAnswer(message: message) {
            #expect(stored.isWellFormed)
            let rendered = stored.render(
                id: 0xBEEF, clientQuestionName: message.questions[0].name.wireBytes, queryFlags: 0x0100,
                clientEDNS: EDNS(), ttl: .countDown(elapsedSeconds: 1), extendedErrors: [3], maxSize: 512)
            let decoded = try DNSMessage(parsing: rendered)
            #expect(decoded.header.id == 0xBEEF)
            #expect(decoded.header.truncated || rendered.count <= 512)
        }
    }
}
