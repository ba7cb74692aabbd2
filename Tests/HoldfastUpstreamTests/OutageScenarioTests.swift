// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import HoldfastUpstream

/// Issue 21's outage shapes as scenarios on a manual clock: the pure parts the engine drives —
/// `QuestionMachine`, `ServerHealth`, `RetryBudget`, `SmoothedRTT` — wired as `UpstreamEngine`
/// wires them (suspect on a silence past the RTO with nothing heard since, probes judged at
/// `timeout_ms`, attempts failed when their server is marked down, failure at `timeout_ms`),
/// with scripted servers and no sockets. Each case says what a client would see: how many of
/// its questions were answered, and what each server received.
@Suite struct OutageScenarioTests {
    @Test("Fresh daemon, first provider's port closed, second healthy: 50 new names at once, all answered")
    func coldStartRefusingFirstProvider() {
        let world = Scenario(servers: [.refusing, .answering(after: .milliseconds(1))])
        let results = world.ask(count: 50, at: .zero)
        world.run(until: .seconds(5))
        #expect(results.answered == 50)
        #expect(world.health[0].state == .down)
        #expect(world.health[1].state == .up)
        #expect(world.received[1] == 50, "every question moved on to the second provider once")
    }

    @Test("Fresh daemon, first provider silently dropping, second healthy: 50 new names at once, all answered")
    func coldStartSilentFirstProvider() {
        let world = Scenario(servers: [.silent, .answering(after: .milliseconds(1))])
        let results = world.ask(count: 50, at: .zero)
        world.run(until: .seconds(5))
        #expect(results.answered == 50)
        #expect(world.health[0].state == .down, "its probe failed after timeout_ms")
        #expect(world.health[1].isHealthy)
    }

    @Test("A burst of 1,000 new names with the first server silent: every one answered by the second")
    func burstOfAThousandWithTheFirstSilent() {
        let world = Scenario(servers: [.silent, .answering(after: .milliseconds(1))])
        let results = world.ask(count: 1000, at: .zero)
        world.run(until: .seconds(10))
        #expect(results.answered == 1000)
        // Each question asked the silent server once (plus its probes) and the second once.
        #expect(world.received[0] <= 1000 + 2)
        #expect(world.received[1] == 1000)
        // Past the budget's share and reserve, the moves waited for timeout_ms, then went anyway.
        #expect(world.budget.exhausted > 0)
    }

    @Test("Second provider slows from 1 ms to 400 ms while the first drops everything: 30 new names, all answered, nobody slow marked down")
    func slowSecondProviderIsNotMarkedDown() {
        let world = Scenario(servers: [.silent, .answering(after: .milliseconds(1))])
        _ = world.ask(count: 5, at: .zero)  // B measured at 1 ms, A found silent and marked down
        world.run(until: .seconds(3))
        #expect(world.health[0].state == .down)
        world.behaviours[1] = .answering(after: .milliseconds(400))
        let results = world.ask(count: 30, at: .seconds(3))
        world.run(until: .seconds(6))
        #expect(results.answered == 30)
        #expect(world.health[1].state == .up)
        #expect(world.markedDown[1] == 0, "a server answering within timeout_ms is never marked down")
    }

    @Test("First provider silent, second answering after 300 ms: 20 names asked 3 times over 4 s, all answered every time")
    func slowAnswersAreAnsweredEveryRound() {
        let world = Scenario(servers: [.silent, .answering(after: .milliseconds(300))])
        var rounds: [Scenario.Results] = []
        for round in 0..<3 {
            rounds.append(world.ask(count: 20, at: .milliseconds(round * 2000), prefix: "r\(round)"))
        }
        world.run(until: .seconds(8))
        #expect(rounds.map(\.answered) == [20, 20, 20])
        #expect(rounds.allSatisfy { $0.failed == 0 })
    }

    @Test("race at 100 questions a second for 2 s: every question at both providers")
    func raceKeepsRacing() {
        let world = Scenario(servers: [.answering(after: .milliseconds(5)), .answering(after: .milliseconds(7))], policy: .race)
        var all: [Scenario.Results] = []
        for index in 0..<200 { all.append(world.ask(count: 1, at: .milliseconds(index * 10), prefix: "q\(index)")) }
        world.run(until: .seconds(4))
        #expect(all.reduce(0) { $0 + $1.answered } == 200)
        #expect(world.received == [200, 200])
    }

    @Test("One server behind a path that drops 15 % of datagrams: 60 new names all answered")
    func lossyLoneServer() {
        let world = Scenario(servers: [.lossy(every: 7, after: .milliseconds(1))])
        let results = world.ask(count: 60, at: .zero)
        world.run(until: .seconds(5))
        #expect(results.answered == 60)
        #expect(world.health[0].state == .up)
    }

    @Test("A name that fails everywhere (SERVFAIL at both) marks nobody down")
    func aNameThatFailsEverywhere() {
        let world = Scenario(servers: [.answering(after: .milliseconds(1)), .answering(after: .milliseconds(1))])
        _ = world.ask(count: 3, at: .zero)  // good names first: the probes have a name to ask
        world.run(until: .seconds(1))
        world.servfailPrefix = "broken"
        let results = world.ask(count: 10, at: .seconds(1), prefix: "broken")
        world.run(until: .seconds(3))
        #expect(results.failed == 10)
        #expect(world.markedDown == [0, 0])
    }

    @Test("A dead server (refusing) is marked down in milliseconds and no longer asked")
    func aDeadServerIsMarkedDownFast() {
        let world = Scenario(servers: [.refusing, .answering(after: .milliseconds(1))])
        _ = world.ask(count: 3, at: .zero)
        world.run(until: .milliseconds(50))
        #expect(world.health[0].state == .down)
        let before = world.received[0]
        _ = world.ask(count: 20, at: .milliseconds(50), prefix: "later")
        world.run(until: .seconds(1))
        #expect(world.received[0] == before)
    }
}
