import Testing
@testable import HoldfastUpstream

/// The question state machine on a manual clock with scripted servers: every policy, hedging
/// and retransmission case without a socket, in milliseconds.
@Suite struct QuestionMachineTests {
    /// Candidates the test marks up or down and gives RTOs.
    struct Servers: QuestionMachine.Servers {
        var usable: [Bool]
        var rtos: [Duration]
        init(_ count: Int, rto: Duration = .milliseconds(50)) {
            usable = Array(repeating: true, count: count)
            rtos = Array(repeating: rto, count: count)
        }
        func isUsable(_ candidate: Int) -> Bool { usable[candidate] }
        func rto(_ candidate: Int) -> Duration { rtos[candidate] }
    }

    let t0 = ContinuousClock.now

    func machine(_ policy: UpstreamConfiguration.Policy = .failover, providers: [String], hedge: Duration? = .milliseconds(250),
                 timeout: Duration = .milliseconds(1000)) -> QuestionMachine {
        QuestionMachine(settings: .init(policy: policy, timeout: timeout, hedgeAfter: hedge), providers: providers, started: t0)
    }

    @Test func failoverAsksTheFirstServerAndArmsTheHedge() {
        var question = machine(providers: ["a", "a", "b"])
        #expect(question.start(now: t0, servers: Servers(3)) == [
            .send(attempt: 0, candidate: 0, rto: .milliseconds(50)), .armHedge(after: .milliseconds(250)),
        ])
        #expect(question.answered(attempt: 0) == [.answered(attempt: 0)])
        #expect(question.isFinished)
    }

    @Test func aFailureMovesToTheNextServerAtOnceAndTheLastErrorEndsIt() {
        var question = machine(providers: ["a", "b"])
        let servers = Servers(2)
        _ = question.start(now: t0, servers: servers)
        #expect(question.failed(attempt: 0, error: .serverFailure, servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 1, error: .refused, servers: servers) == [.failed(.refused)])
    }

    @Test func downServersAreSkipped() {
        var question = machine(providers: ["a", "b", "c"])
        var servers = Servers(3)
        servers.usable[0] = false
        #expect(question.start(now: t0, servers: servers).first == .send(attempt: 0, candidate: 1, rto: .milliseconds(50)))
        servers.usable[2] = false  // went down while the question waited
        #expect(question.failed(attempt: 0, error: .timeout, servers: servers) == [.failed(.timeout)])
    }

    @Test func hedgeAsksTheFirstUsableServerOfAProviderNotAskedYet() {
        var question = machine(providers: ["a", "a", "b", "c"])
        let servers = Servers(4)
        _ = question.start(now: t0, servers: servers)
        #expect(question.hedgeTimerFired(servers: servers) == [.send(attempt: 1, candidate: 2, rto: .milliseconds(50))])
        // Answered by the hedge: the first attempt's late answer changes nothing.
        #expect(question.answered(attempt: 1) == [.answered(attempt: 1)])
        #expect(question.answered(attempt: 0) == [])
        #expect(question.hedgeTimerFired(servers: servers) == [])
    }

    @Test func raceAsksOneServerOfEveryProviderAtOnceWithoutAHedge() {
        var question = machine(.race, providers: ["a", "a", "b", "c"])
        #expect(question.start(now: t0, servers: Servers(4)) == [
            .send(attempt: 0, candidate: 0, rto: .milliseconds(50)),
            .send(attempt: 1, candidate: 2, rto: .milliseconds(50)),
            .send(attempt: 2, candidate: 3, rto: .milliseconds(50)),
        ])
        #expect(question.failed(attempt: 1, error: .serverFailure, servers: Servers(4)) == [
            .send(attempt: 3, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.answered(attempt: 2) == [.answered(attempt: 2)])
    }

    @Test func aSilenceMovesToTheNextServerThenResendsToTheSameWithTwiceTheRTO() {
        var question = machine(providers: ["a", "b"], hedge: nil)
        let servers = Servers(2)
        #expect(question.start(now: t0, servers: servers) == [.send(attempt: 0, candidate: 0, rto: .milliseconds(50))])
        #expect(question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers) == [
            .send(attempt: 1, candidate: 1, rto: .milliseconds(50)),
        ])
        #expect(question.silent(attempt: 1, now: t0 + .milliseconds(100), servers: servers) == [
            .send(attempt: 2, candidate: 1, rto: .milliseconds(100)),
        ])
        #expect(question.silent(attempt: 2, now: t0 + .milliseconds(200), servers: servers) == [
            .send(attempt: 3, candidate: 1, rto: .milliseconds(200)),
        ])
        // Any attempt's answer completes it: the first packet's late reply.
        #expect(question.answered(attempt: 0) == [.answered(attempt: 0)])
        #expect(question.resends == 2)
    }

    @Test("A lone server: resends back off 50, 100, 200, 400 ms and stop once the question is timeout_ms old")
    func loneServerResendsUntilTimeout() {
        var question = machine(providers: ["a"], hedge: nil)
        let servers = Servers(1)
        var now = t0
        var rto = Duration.milliseconds(50)
        var attempt = 0
        _ = question.start(now: now, servers: servers)
        var rtos: [Duration] = []
        while true {
            now += rto
            let actions = question.silent(attempt: attempt, now: now, servers: servers)
            guard case .send(let next, _, let nextRTO)? = actions.first else { break }
            rtos.append(nextRTO)
            attempt = next
            rto = nextRTO
        }
        #expect(rtos == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
        #expect(now - t0 >= .milliseconds(1000))
        // Every attempt then ends in c-ares' timeout: the question fails once the last does.
        for number in 0..<attempt { #expect(question.failed(attempt: number, error: .timeout, servers: servers) == []) }
        #expect(question.failed(attempt: attempt, error: .timeout, servers: servers) == [.failed(.timeout)])
    }

    @Test func aFailureAfterTheRTODoesNotMoveTheQuestionAgain() {
        var question = machine(providers: ["a", "b", "c"], hedge: nil)
        let servers = Servers(3)
        _ = question.start(now: t0, servers: servers)
        _ = question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers)  // → b
        #expect(question.failed(attempt: 0, error: .timeout, servers: servers) == [])  // c-ares gives up on a
        #expect(question.failed(attempt: 1, error: .serverFailure, servers: servers) == [
            .send(attempt: 2, candidate: 2, rto: .milliseconds(50)),
        ])
    }

    @Test func rtosNeverExceedTheTimeout() {
        var question = machine(providers: ["a"], hedge: nil, timeout: .milliseconds(300))
        #expect(question.start(now: t0, servers: Servers(1, rto: .seconds(2))) == [
            .send(attempt: 0, candidate: 0, rto: .milliseconds(300)),
        ])
    }

    @Test func aSilentServerThatWentDownIsResentElsewhere() {
        var question = machine(providers: ["a", "b"], hedge: nil)
        var servers = Servers(2)
        _ = question.start(now: t0, servers: servers)
        _ = question.silent(attempt: 0, now: t0 + .milliseconds(50), servers: servers)  // → b
        servers.usable[1] = false
        #expect(question.silent(attempt: 1, now: t0 + .milliseconds(100), servers: servers) == [
            .send(attempt: 2, candidate: 0, rto: .milliseconds(50)),
        ])
    }

    @Test func cancelFinishesWithCancelled() {
        var question = machine(providers: ["a"])
        _ = question.start(now: t0, servers: Servers(1))
        #expect(question.cancel() == [.failed(.cancelled)])
        #expect(question.answered(attempt: 0) == [])
    }
}
