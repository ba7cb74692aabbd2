// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc
import HoldfastTestSupport
import Testing

extension ResilienceSuites {
    /// The cache file across restarts (SPEC.md: Persistence): a restart during an outage still
    /// serves stale answers; an unusable file is a warning and an empty cache, never a crash.
    @Suite("holdfastd persists its cache", .serialized)
    struct ResiliencePersistenceTests {
        static let shortLived: [UInt8] = [192, 0, 2, 40]
        static let longLived: [UInt8] = [192, 0, 2, 41]

        /// A daemon with persistence on, its fake upstream answering `short.test` (TTL 1) and
        /// `long.test` (TTL 300), both asked once.
        static func warmed() async throws -> ResilienceStack {
            let stack = try await ResilienceStack.start(records: [
                try .a("short.test", shortLived, ttl: 1), try .a("long.test", longLived, ttl: 300),
            ]) { $0.persist = true }
            #expect(try await stack.ask("short.test").addresses == [shortLived])
            #expect(try await stack.ask("long.test").addresses == [longLived])
            return stack
        }

        @Test func restartDuringAnOutageServesFromTheFile() async throws {
            let stack = try await Self.warmed()
            let warmedAt = ContinuousClock.now
            #expect(await stack.daemon.stop() == 0)
            #expect(FileManager.default.fileExists(atPath: stack.daemon.cachePath))
            try await stack.upstream.setBehaviour(.closed)
            // short.test must have expired by the time it is asked again.
            try await resilienceSleep(until: warmedAt + .milliseconds(1300))

            let restarted = try await stack.restart(after: stack.daemon)
            let loaded = try await restarted.daemon.waitForLog(containing: "cache loaded")
            #expect(loaded.contains("entries=2"), "\(loaded)")
            let stale = try await restarted.ask("short.test")
            #expect(stale.isStaleAnswer(Self.shortLived), "\(stale)")
            let fresh = try await restarted.ask("long.test")
            #expect(fresh.rcode == .noError && fresh.addresses == [Self.longLived] && fresh.extendedErrors.isEmpty, "\(fresh)")
            let ttl = fresh.answers.first?.ttl ?? 0
            #expect(ttl <= 300 && ttl >= 280, "TTL aged by the time that passed: \(ttl)")
            #expect(stack.upstream.queryCount == 2, "nothing reached the (closed) upstream")
            await restarted.stop()
        }

        enum Damage: String, CaseIterable, Sendable {
            /// The first half of a good file.
            case truncated
            /// Random bytes.
            case garbage
            /// A good file with one byte flipped in the middle (the checksum catches it).
            case flipped
            /// Zero bytes.
            case empty
        }

        @Test("An unusable cache file is a warning and an empty cache", arguments: Damage.allCases)
        func damagedCacheFile(damage: Damage) async throws {
            let stack = try await Self.warmed()
            #expect(await stack.daemon.stop() == 0)
            let path = stack.daemon.cachePath
            let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(good.count > 16)
            let damaged: [UInt8] = switch damage {
            case .truncated: Array(good.prefix(good.count / 2))
            case .garbage: (0..<4096).map { _ in UInt8.random(in: 0...255) }
            case .flipped: good.enumerated().map { $0.offset == good.count / 2 ? ~$0.element : $0.element }
            case .empty: []
            }
            try Data(damaged).write(to: URL(fileURLWithPath: path))

            let restarted = try await stack.restart(after: stack.daemon)
            let warning = try await restarted.daemon.waitForLog(containing: "cache file unusable", timeout: .seconds(5))
            #expect(warning.contains("warning"), "\(warning)")
            // Empty cache: the question goes upstream again and is answered.
            let before = stack.upstream.queryCount
            let reply = try await restarted.ask("long.test")
            #expect(reply.rcode == .noError && reply.addresses == [Self.longLived], "\(reply)")
            #expect(stack.upstream.queryCount == before + 1)
            // And it still shuts down cleanly, writing a good file again.
            #expect(await restarted.daemon.stop() == 0)
            let again = try await stack.restart(after: restarted.daemon)
            _ = try await again.daemon.waitForLog(containing: "cache loaded")
            #expect(try await again.ask("long.test").addresses == [Self.longLived])
            #expect(stack.upstream.queryCount == before + 1, "served from the rewritten file")
            await again.stop()
        }
    }
}
