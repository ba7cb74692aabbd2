// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import HoldfastTestSupport
import Testing

/// The fixtures themselves, against real nsd and dig only (no daemon): if these fail, the
/// daemon tests cannot be trusted.
@Suite("Fixtures: nsd, dig, DNS client")
struct FixtureTests {
    @Test("dig reads each record type nsd serves", arguments: [
        ("www.example.test", "A", "192.0.2.1"),
        ("www.example.test", "AAAA", "2001:db8::1"),
        ("example.test", "MX", "10 mail.example.test."),
        ("example.test", "TXT", "\"holdfast test zone\""),
    ])
    func digReadsRecordTypes(name: String, type: String, expected: String) async throws {
        let nsd = try await NSDFixture.start()
        let result = try await Dig.query(name, type, server: nsd.address)
        #expect(result.status == "NOERROR", "\(result)")
        #expect(result.answerData(type) == [expected])
        #expect(result.flags.contains("aa"))
        nsd.stop()
    }

    @Test func nxdomainAndSOA() async throws {
        let nsd = try await NSDFixture.start()
        let result = try await Dig.query("missing.example.test", "A", server: nsd.address, options: .init(tcp: true))
        #expect(result.status == "NXDOMAIN")
        #expect(result.answers.isEmpty)
        #expect(result.authority.first?.type == "SOA")
        #expect(result.transport == "TCP")
        nsd.stop()
    }

    @Test func largeAnswerTruncatedOverUDPWholeOverTCP() async throws {
        let nsd = try await NSDFixture.start()
        let udp = try await Dig.query("big.example.test", "A", server: nsd.address, options: .init(ignoreTruncation: true))
        #expect(udp.truncated, "\(udp)")
        #expect(udp.answers.count < Zone.bigRecordCount)
        let tcp = try await Dig.query("big.example.test", "A", server: nsd.address, options: .init(tcp: true))
        #expect(!tcp.truncated)
        #expect(tcp.answers.count == Zone.bigRecordCount)
        nsd.stop()
    }

    @Test func dnsClientPipelinesOverTCPAndCountsQueries() async throws {
        let nsd = try await NSDFixture.start()
        let before = try await nsd.queryCount()
        let replies = try await DNSClient.pipelined(
            [("www.example.test", .a), ("www.example.test", .aaaa), ("mail.example.test", .a), ("nope.example.test", .a)],
            to: nsd.address)
        #expect(replies.count == 4)
        #expect(replies[1000]?.answers.first?.data == .a([192, 0, 2, 1]))
        #expect(replies[1002]?.answers.first?.data == .a([192, 0, 2, 25]))
        #expect(replies[1003]?.rcode == .nxDomain)
        let after = try await nsd.queryCount()
        #expect(after - before == 4)
        nsd.stop()
    }

    @Test func dnsClientUDPEchoesIDAndCase() async throws {
        let nsd = try await NSDFixture.start()
        let reply = try await DNSClient.query("WwW.ExAmPlE.test", .a, to: nsd.address, id: 0xBEEF)
        #expect(reply.header.id == 0xBEEF)
        #expect(reply.questions.first?.name.description.hasPrefix("WwW.ExAmPlE.test") == true)
        #expect(reply.edns != nil)
        nsd.stop()
    }

    @Test func closedPortRefusesQuickly() async throws {
        let closed = LoopbackAddress.v4(try FreePort.closed())
        await #expect(throws: (any Error).self) {
            _ = try await DNSClient.query("www.example.test", .a, to: closed, timeout: .milliseconds(500))
        }
        let dig = try await Dig.query("www.example.test", "A", server: closed)
        #expect(!dig.answered)
        #expect(dig.exitStatus != 0)
    }

    @Test("Only loopback servers are accepted", arguments: ["192.0.2.1", "10.0.0.53", "2001:db8::1", "example.com"])
    func nonLoopbackRefused(host: String) {
        #expect(throws: TestSupportError.self) { _ = try LoopbackAddress(host: host, port: 53) }
    }

    @Test func stoppingNSDEndsItsWholeProcessGroup() async throws {
        let nsd = try await NSDFixture.start()
        let address = nsd.address
        await nsd.stopGracefully()
        await #expect(throws: (any Error).self) {
            _ = try await DNSClient.query("www.example.test", .a, to: address, timeout: .milliseconds(300))
        }
    }

    @Test func digParsesEDEAndEDNS() {
        let text = """
            ;; Got answer:
            ;; ->>HEADER<<- opcode: QUERY, status: SERVFAIL, id: 4242
            ;; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 0, ADDITIONAL: 1

            ;; OPT PSEUDOSECTION:
            ; EDNS: version: 0, flags:; udp: 1232
            ; EDE: 22 (No Reachable Authority): (all providers failed)
            ;; QUESTION SECTION:
            ;Www.Example.test.\t\tIN\tA

            ;; Query time: 12 msec
            ;; SERVER: 127.0.0.1#5353(127.0.0.1) (UDP)
            ;; MSG SIZE  rcvd: 52
            """
        let result = DigResult(output: text, exitStatus: 0)
        #expect(result.status == "SERVFAIL")
        #expect(result.id == 4242)
        #expect(result.flags == ["qr", "rd", "ra"])
        #expect(result.ednsUDPSize == 1232)
        #expect(result.extendedErrors.map(\.code) == [22])
        #expect(result.questionName == "Www.Example.test.")
        #expect(result.queryTimeMs == 12)
        #expect(result.transport == "UDP")
        #expect(result.messageSize == 52)
    }

    @Test func notifySocketRecordsDatagrams() async throws {
        let directory = try TemporaryDirectory()
        let notify = try NotifySocket(path: directory.file("n.sock"))
        let sender = try await ChildProcess.run(
            "/bin/sh", ["-c", "command -v systemd-notify >/dev/null || exit 77; NOTIFY_SOCKET=\(notify.path) systemd-notify --ready --status=hello"])
        try #require(sender.status != 77, "systemd-notify not installed")
        let message = try await notify.messages.waitFor(timeout: .seconds(5), "READY") { $0.isReady }
        #expect(message.status == "hello")
        notify.close()
    }
}

/// DaemonProcess itself, driving a shell script that behaves like a notify-type daemon.
@Suite("Fixtures: DaemonProcess")
struct DaemonProcessFixtureTests {
    static let fakeDaemon = """
        #!/bin/sh
        # $1 = --config, $2 = path
        [ -f "$2" ] || { echo "no config $2" >&2; exit 2; }
        if [ -n "$LISTEN_FDS" ]; then
          [ "$LISTEN_PID" = "$$" ] && [ -e /proc/$$/fd/3 ] && [ -e /proc/$$/fd/4 ] && echo "adopted $LISTEN_FDS fds named $LISTEN_FDNAMES" >&2
        fi
        trap 'systemd-notify STOPPING=1; echo "stopping" >&2; exit 0' TERM
        trap 'echo "reloading" >&2' HUP
        echo "starting with $2" >&2
        echo "notice holdfastd: listen=[udp $(grep -o '127.0.0.1:[0-9]*' "$2" | head -n 1)] holdfastd ready" >&2
        systemd-notify --ready --status="serving"
        while :; do sleep 0.05; [ -n "$WATCHDOG_USEC" ] && systemd-notify WATCHDOG=1; done
        """

    static func launch(_ directory: TemporaryDirectory) throws -> DaemonProcess.Launch {
        let script = try directory.write("fake-holdfastd", fakeDaemon)
        chmod(script, 0o755)
        var launch = DaemonProcess.Launch()
        launch.executable = script
        return launch
    }

    @Test func startWaitsForReadyAndStopGetsExit0() async throws {
        try #require(Executables.isInstalled("systemd-notify"))
        let scripts = try TemporaryDirectory()
        let daemon = try await DaemonProcess.start(DaemonConfig(upstreams: []), launch: try Self.launch(scripts))
        let ready = daemon.notify.messages.all.first { $0.isReady }
        #expect(ready?.status == "serving")
        try await daemon.waitForLog(containing: "starting with \(daemon.configPath)")
        let mark = daemon.stderr.count
        daemon.signal(SIGHUP)
        try await daemon.waitForLog(containing: "reloading", from: mark)
        let stopMark = daemon.stderr.count
        #expect(await daemon.stop() == 0)
        // The stderr reader thread may lag the exit: wait for the line rather than peek.
        _ = try await daemon.waitForLog(containing: "stopping", from: stopMark)
        _ = try await daemon.notify.messages.waitFor { $0.isStopping }
    }

    @Test func startFailsFastWithTheOutputWhenTheProgramExits() async throws {
        let scripts = try TemporaryDirectory()
        let script = try scripts.write("dies", "#!/bin/sh\necho 'holdfastd: config error: bogus' >&2\nexit 2\n")
        chmod(script, 0o755)
        var launch = DaemonProcess.Launch()
        launch.executable = script
        let started = ContinuousClock.now
        await #expect {
            _ = try await DaemonProcess.start(DaemonConfig(upstreams: []), launch: launch, readyTimeout: .seconds(120))
        } throws: { error in
            "\(error)".contains("status 2") && "\(error)".contains("config error: bogus")
        }
        // Noticed the exit instead of waiting out the (deliberately long) ready timeout.
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func passesListenFDsWithTheChildsOwnPid() async throws {
        try #require(Executables.isInstalled("systemd-notify"))
        let scripts = try TemporaryDirectory()
        let sockets = try ListeningSockets()
        var launch = try Self.launch(scripts)
        launch.listenFDs = sockets.fds
        launch.listenFDNames = ["dns", "dns"]
        let daemon = try await DaemonProcess.start(DaemonConfig(upstreams: []), launch: launch, port: sockets.port)
        try await daemon.waitForLog(containing: "adopted 2 fds named dns:dns", timeout: .seconds(2))
        await daemon.stop()
    }
}
