// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// Running under a service manager: sd_notify, watchdog, reload, shutdown, socket activation,
/// and surviving bad input.
@Suite("holdfastd lifecycle", .serialized)
struct DaemonLifecycleTests {
    @Test func readyMeansServingWithAStatus() async throws {
        let stack = try await DaemonStack.start()
        // READY=1 has arrived (start() waited for it): queries succeed at once, both transports.
        let udp = try await DNSClient.query("www.example.test", .a, to: stack.address)
        let tcp = try await DNSClient.query("www.example.test", .a, to: stack.address, over: .tcp)
        #expect(udp.rcode == .noError && tcp.rcode == .noError)
        let messages = stack.daemon.notify.messages.all
        #expect(messages.contains { $0.status?.isEmpty == false }, "\(messages)")
        #expect(messages.filter(\.isReady).count == 1)
        await stack.stop()
    }

    @Test func watchdogPingsAtHalfTheInterval() async throws {
        var launch = DaemonProcess.Launch()
        launch.watchdogUSec = 1_000_000
        let stack = try await DaemonStack.start(launch: launch)
        let messages = stack.daemon.notify.messages
        var pings: [ContinuousClock.Instant] = []
        var from = messages.count
        for _ in 0..<4 {
            let ping = try await messages.waitForIndexed(from: from, timeout: .seconds(3), "WATCHDOG=1") { $0.isWatchdog }
            pings.append(ping.element.receivedAt)
            from = ping.index + 1
        }
        let gaps = zip(pings.dropFirst(), pings).map { $0 - $1 }
        for gap in gaps {
            #expect(gap > .milliseconds(250) && gap < .milliseconds(900), "gaps \(gaps)")
        }
        await stack.stop()
    }

    @Test func sigtermExitsZeroPersistsAndSaysStopping() async throws {
        let stack = try await DaemonStack.start { config, _ in config.persist = true }
        _ = try await stack.dig("www.example.test")
        stack.daemon.signal(SIGTERM)
        let code = try await stack.daemon.waitForExit(timeout: .seconds(15))
        #expect(code == 0, "\(stack.daemon.stderr.all.suffix(10))")
        #expect(stack.daemon.notify.messages.all.contains { $0.isStopping })
        #expect(FileManager.default.fileExists(atPath: stack.daemon.cachePath))
        stack.nsd.stop()
    }

    @Test func sighupReloadsLocalRecordsAndProviders() async throws {
        let closed = LoopbackAddress.v4(try FreePort.closed())
        var config = DaemonConfig(upstreams: [closed])
        config.localRecords = [.init("printer.lan", "A", "192.0.2.77")]
        let nsd = try await NSDFixture.start()
        let daemon = try await DaemonProcess.start(config)
        #expect(try await Dig.query("printer.lan", server: daemon.address).answerData("A") == ["192.0.2.77"])
        #expect(try await Dig.query("www.example.test", server: daemon.address).status == "SERVFAIL")

        config.localRecords = [.init("printer.lan", "A", "192.0.2.78")]
        config.providers = [.init("nsd", [nsd.address])]
        try daemon.rewriteConfig(config)
        daemon.signal(SIGHUP)
        // Each check is a real query, bounded by its own timeout.
        let reloaded = try await eventually(timeout: .seconds(5)) {
            try await Dig.query("printer.lan", server: daemon.address).answerData("A") == ["192.0.2.78"]
        }
        #expect(reloaded)
        #expect(try await Dig.query("www.example.test", server: daemon.address).answerData("A") == ["192.0.2.1"])

        // An invalid file is rejected with a log line; the old config keeps answering.
        let logMark = daemon.stderr.count
        try daemon.rewriteConfig(text: "[server]\nthreads = \"many\"\n")
        daemon.signal(SIGHUP)
        try await daemon.waitForLog(containing: "holdfast.toml", from: logMark)
        #expect(try await Dig.query("printer.lan", server: daemon.address).answerData("A") == ["192.0.2.78"])
        #expect(try await Dig.query("www.example.test", server: daemon.address).answerData("A") == ["192.0.2.1"])
        #expect(!daemon.process.hasExited)
        #expect(await daemon.stop() == 0)
        nsd.stop()
    }

    @Test func adoptsSocketActivatedListeners() async throws {
        let nsd = try await NSDFixture.start()
        let sockets = try ListeningSockets()
        var launch = DaemonProcess.Launch()
        launch.listenFDs = sockets.fds
        launch.listenFDNames = ["dns", "dns"]
        let daemon = try await DaemonProcess.start(
            DaemonConfig(upstreams: [nsd.address]), launch: launch, port: sockets.port)
        let udp = try await Dig.query("www.example.test", server: sockets.address)
        #expect(udp.answerData("A") == ["192.0.2.1"], "\(udp)")
        let tcp = try await Dig.query("www.example.test", server: sockets.address, options: .init(tcp: true))
        #expect(tcp.answerData("A") == ["192.0.2.1"], "\(tcp)")
        await daemon.stop()
        nsd.stop()
    }

    @Test func badInputNeverStopsTheDaemon() async throws {
        let stack = try await DaemonStack.start()
        let garbage: [[UInt8]] = [
            [],
            [0x12],
            [0x12, 0x34, 0x01, 0x00, 0x00, 0x01],  // short header
            [0x12, 0x34, 0x01, 0x00, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0],  // lying QDCOUNT
            Array(repeating: 0xC0, count: 64),  // pointer soup
        ]
        for bytes in garbage {
            let reply = try await DNSClient.exchangeUDP(bytes, with: stack.address, timeout: .milliseconds(300))
            if let reply, let message = try? DNSMessage(parsing: reply) {
                #expect(message.rcode == .formatError)
            }
        }
        // A response (QR=1) is dropped, not answered.
        var response = DNSMessage.makeQuery(id: 7, question: DNSQuestion(name: try DNSName("www.example.test"), type: .a))
        response[2] |= 0x80
        #expect(try await DNSClient.exchangeUDP(response, with: stack.address, timeout: .milliseconds(300)) == nil)
        // A TCP client that sends half a message and goes quiet costs only its connection.
        let stuck = try await TCPConnection.open(to: stack.address)
        try await stuck.send([0x00, 0x40, 0x12])
        let after = try await stack.dig("www.example.test", "A", .init(tcp: true))
        #expect(after.answerData("A") == ["192.0.2.1"])
        #expect(try await stack.dig("www.example.test").answerData("A") == ["192.0.2.1"])
        stuck.close()
        #expect(await stack.stop() == 0)
    }

    @Test func clientsOutsideAllowAreRefusedAndNotForwarded() async throws {
        let stack = try await DaemonStack.start { config, _ in config.allow = ["192.0.2.0/24"] }
        let before = try await stack.nsd.queryCount()
        let udp = try await stack.dig("www.example.test")
        let tcp = try await stack.dig("www.example.test", "A", .init(tcp: true))
        #expect(udp.status == "REFUSED", "\(udp)")
        #expect(tcp.status == "REFUSED", "\(tcp)")
        #expect(try await stack.nsd.queryCount() == before)
        await stack.stop()
    }
}
