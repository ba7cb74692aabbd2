// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Benchmark
import DNSWire

/// Wall clock and mallocs per operation for the codec on a typical query and answer.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )
    registerWireBenchmarks()
    registerCacheHitBenchmarks()
}

/// `www.example.com. IN A` with an EDNS OPT (1232 bytes), as stub resolvers send it.
func typicalQueryBytes() -> [UInt8] {
    // The fixtures are constants: a failure here is a bug in this file, reported by the run.
    guard let name = try? DNSName("www.example.com.") else { fatalError("fixture name") }
    return DNSMessage.makeQuery(id: 0x1234, question: DNSQuestion(name: name, type: .a), udpPayloadSize: 1232)
}

/// The answer to it: a CNAME and two A records, with OPT.
func typicalAnswer() -> DNSMessage {
    guard let name = try? DNSName("www.example.com."), let target = try? DNSName("edge.example.net.") else {
        fatalError("fixture names")
    }
    var header = DNSHeader(id: 0x1234)
    header.isResponse = true
    header.recursionDesired = true
    header.recursionAvailable = true
    return DNSMessage(
        header: header,
        questions: [DNSQuestion(name: name, type: .a)],
        answers: [
            DNSRecord(name: name, type: .cname, ttl: 300, data: .name(target)),
            DNSRecord(name: target, type: .a, ttl: 60, data: .a([192, 0, 2, 10])),
            DNSRecord(name: target, type: .a, ttl: 60, data: .a([192, 0, 2, 11])),
        ],
        edns: EDNS(udpPayloadSize: 1232)
    )
}

func registerWireBenchmarks() {
    let query = typicalQueryBytes()
    Benchmark("DNSWire: parse a typical query (ParsedQuery)") { benchmark in
        query.withUnsafeBytes { buffer in
            for _ in benchmark.scaledIterations {
                blackHole(try? ParsedQuery(buffer: buffer))
            }
        }
    }

    let answer = typicalAnswer()
    Benchmark("DNSWire: encode a typical answer (DNSMessage.encode)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(answer.encode(maxSize: 1232))
        }
    }

    let answerBytes = answer.encode().bytes
    Benchmark("DNSWire: decode a typical answer (DNSMessage)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? DNSMessage(parsing: answerBytes))
        }
    }
}
