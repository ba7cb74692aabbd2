// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 6: graceful shutdown answers what is in flight; a reload keeps the cache.
@Suite("holdfastd shutdown and reload keep their promises", .serialized)
struct ShutdownReloadTests {
    static let record = DNSRecord(name: try! DNSName("slow.example.test"), type: .a, ttl: 300, data: .a([192, 0, 2, 44]))

    @Test func queriesInFlightAtSIGTERMAreAnswered() async throws {
        let stack = try await ResilienceStack.start(records: [Self.record]) { config in
            config.persist = true
            config.timeoutMs = 3000
        }
        try await stack.upstream.setBehaviour(.delay(.milliseconds(600)))
        // The question is upstream (the fake has it) when SIGTERM arrives.
        async let answer = stack.ask("slow.example.test", timeout: .seconds(6))
        #expect(await stack.upstream.waitForQueries(1))
        stack.daemon.signal(SIGTERM)
        let reply = try await answer
        #expect(reply.rcode == .noError)
        #expect(reply.answers.first?.data == .a([192, 0, 2, 44]))
        let code = try await stack.daemon.waitForExit(timeout: .seconds(15))
        #expect(code == 0, "\(stack.daemon.stderr.all.suffix(10))")
        // The answer that arrived during shutdown was persisted too.
        #expect(FileManager.default.fileExists(atPath: stack.daemon.cachePath))
        await stack.upstream.shutdown()
    }

    @Test func reloadKeepsTheCache() async throws {
        let stack = try await ResilienceStack.start(records: [Self.record])
        #expect(try await stack.ask("slow.example.test").answers.count == 1)
        let asked = stack.upstream.queryCount
        var config = stack.config
        config.localRecords = [.init("printer.lan", "A", "192.0.2.78")]
        try stack.daemon.rewriteConfig(config)
        let mark = stack.daemon.stderr.count
        stack.daemon.signal(SIGHUP)
        try await stack.daemon.waitForLog(containing: "config reloaded", from: mark)
        #expect(try await stack.ask("printer.lan").answers.first?.data == .a([192, 0, 2, 78]))
        // Still cached: answered without asking upstream again, TTL counting down from 300.
        let again = try await stack.ask("slow.example.test")
        #expect(again.answers.first?.data == .a([192, 0, 2, 44]))
        #expect((again.answers.first?.ttl ?? 0) <= 300)
        #expect(stack.upstream.queryCount == asked)
        #expect(try await stack.stats().cache.entries >= 1)
        #expect(await stack.stop() == 0)
    }
}
