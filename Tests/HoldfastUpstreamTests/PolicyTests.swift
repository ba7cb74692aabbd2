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
        #expect(result.provider == (swapped ? "p0" : "p1"))
        #expect(elapsed.ms < 60)
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
