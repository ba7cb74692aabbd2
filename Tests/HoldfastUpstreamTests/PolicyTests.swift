// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing
@testable import HoldfastUpstream

@Suite(.serialized) struct PolicyTests {
    @Test func fastestPrefersTheQuickerServerAndSwitchesWhenTheySwap() async throws {
        let fakes = try await startFakes([.delay(.milliseconds(50)), .delay(.milliseconds(5))])
        let pool = try makePool(makeConfiguration(fakes, policy: .fastest, timeoutMs: 1000))
        for index in 0..<4 { _ = await pool.resolve(try aQuestion("warm\(index).example"), dnssecOK: false) }
        var byFast = 0
        for index in 0..<20 where await pool.resolve(try aQuestion("f\(index).example"), dnssecOK: false).provider == "p1" {
            byFast += 1
        }
        #expect(byFast >= 17)

        try await fakes[0].setBehaviour(.delay(.milliseconds(5)))
        try await fakes[1].setBehaviour(.delay(.milliseconds(50)))
        var streak = 0
        for index in 0..<120 where streak < 10 {
            let provider = await pool.resolve(try aQuestion("s\(index).example"), dnssecOK: false).provider
            streak = provider == "p0" ? streak + 1 : 0
        }
        #expect(streak >= 10)
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test(arguments: [false, true])
    func raceAnswersWithTheFaster(swapped: Bool) async throws {
        let delays: [Duration] = swapped ? [.milliseconds(5), .milliseconds(80)] : [.milliseconds(80), .milliseconds(5)]
        let fakes = try await startFakes(delays.map { .delay($0) })
        let pool = try makePool(makeConfiguration(fakes, policy: .race))
        let (result, elapsed) = await timed { await pool.resolve(try! aQuestion(), dnssecOK: false) }
        // Which server answered is the behaviour; the time is printed (speed belongs in benchmarks).
        #expect(result.provider == (swapped ? "p0" : "p1"))
        print("FIGURES race answered in \(elapsed.ms) ms")
        #expect(await fakes[0].waitForQueries(1) && fakes[1].queryCount == 1)
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test func routedSuffixReachesOnlyItsProvider() async throws {
        let fakes = try await startFakes([.normal, .normal])
        let routes = [UpstreamConfiguration.Route(domains: [try DNSName("corp.example")], providers: ["p1"])]
        let pool = try makePool(makeConfiguration(fakes, routes: routes))
        let corp = try DNSName("corp.example")
        for name in ["a.corp.example", "CORP.example", "www.example.org", "corp.example.org", "b.corp.example"] {
            let expected = try DNSName(name).isSubdomain(of: corp) ? "p1" : "p0"
            #expect(await pool.resolve(try aQuestion(name), dnssecOK: false).provider == expected)
        }
        pool.shutdown()
        #expect(fakes[1].receivedNames.allSatisfy { $0.isSubdomain(of: corp) })
        #expect(fakes[1].queryCount == 3)
        #expect(!fakes[0].receivedNames.contains { $0.isSubdomain(of: corp) })
        await stopFakes(fakes)
    }
}

@Suite(.serialized) struct ReconfigureTests {
    @Test func reloadKeepsHealthOfRemainingServersAndDropsRemovedOnes() async throws {
        let fakes = try await startFakes([.normal, .servfail, .normal])
        let observer = RecordingObserver()
        let pool = try makePool(makeConfiguration(Array(fakes.prefix(2)), failureThreshold: 1, probeIntervalSeconds: 30),
                                observer: observer)
        #expect(await pool.resolve(try aQuestion(), dnssecOK: false).provider == "p0")
        var next = makeConfiguration(fakes, failureThreshold: 1, probeIntervalSeconds: 30)
        next.providers[0].servers = []  // p0 loses its server; p1 (SERVFAIL) remains, p2 is new
        pool.reconfigure(next)
        #expect(await pool.resolve(try aQuestion("after.example"), dnssecOK: false).provider == "p2")
        // Its SERVFAIL made p1 suspect; the probe it was sent at once failed too: down.
        #expect(await observer.waitFor(server: "127.0.0.1:\(fakes[1].port)", isUp: false))
        let status = pool.status()
        #expect(status.map(\.name) == ["p0", "p1", "p2"])
        #expect(status[0].servers.isEmpty)
        #expect(status[1].servers[0].isUp == false)
        #expect(await pool.resolve(try aQuestion("again.example"), dnssecOK: false).provider == "p2")
        #expect(fakes[1].queryCount == 2)  // the question and its probe; down, so not asked again
        pool.shutdown()
        await stopFakes(fakes)
    }
}
