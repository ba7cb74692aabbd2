// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing
@testable import HoldfastUpstream

@Suite(.serialized) struct SpoofResistanceTests {
    @Test func forwardedNamesCarryRandomisedCase() async throws {
        let fakes = try await startFakes([.normal])
        let pool = try makePool(makeConfiguration(fakes))
        for _ in 0..<10 {
            #expect(await pool.resolve(try aQuestion("abcdefghijklmnop.example"), dnssecOK: false).provider == "p0")
        }
        pool.shutdown()
        let spellings = Set(fakes[0].receivedNames.map(\.description))
        #expect(spellings.count >= 8)
        #expect(spellings.contains { $0 != $0.lowercased() })
        await stopFakes(fakes)
    }

    @Test func wrongCaseAnswerIsRejectedUntilTheServerIsSeenNotToPreserveCase() async throws {
        let fakes = try await startFakes([.wrongCase, .normal])
        let pool = try makePool(makeConfiguration(fakes, failureThreshold: 10))
        for index in 0..<UpstreamEngine.caseMismatchLimit {
            #expect(await pool.resolve(try aQuestion("case\(index).example"), dnssecOK: false).provider == "p1")
        }
        #expect(pool.status()[0].servers[0].caseRandomization == false)
        #expect(pool.status()[0].servers[0].isUp)
        // 0x20 is off for that server now; its (lower-case) answers are accepted.
        #expect(await pool.resolve(try aQuestion("lower.example"), dnssecOK: false).provider == "p0")
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test func sourcePortsChangeAcrossAThousandQueries() async throws {
        let fakes = try await startFakes([.normal])
        let pool = try makePool(makeConfiguration(fakes, rotateAfterQueries: .afterQueries(10)))
        for batch in 0..<50 {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask { _ = await pool.resolve(try! aQuestion("r\(batch)-\(index).example"), dnssecOK: false) }
                }
            }
        }
        pool.shutdown()
        #expect(fakes[0].queryCount == 1000)
        #expect(Set(fakes[0].sourcePorts).count >= 50)
        await stopFakes(fakes)
    }

    @Test func shutdownFailsNewQuestions() async throws {
        let fakes = try await startFakes([.normal])
        let pool = try makePool(makeConfiguration(fakes))
        pool.shutdown()
        #expect(await pool.resolve(try aQuestion(), dnssecOK: false).error == .cancelled)
        await stopFakes(fakes)
    }
}
