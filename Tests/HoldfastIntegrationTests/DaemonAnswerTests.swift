// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

/// holdfastd forwarding to a real nsd, queried with dig and with our codec over real sockets.
@Suite("holdfastd answers through nsd", .serialized)
struct DaemonAnswerTests {
    @Test("Record types over UDP and TCP", arguments: [
        ("www.example.test", "A", "192.0.2.1"),
        ("www.example.test", "AAAA", "2001:db8::1"),
        ("example.test", "MX", "10 mail.example.test."),
        ("example.test", "TXT", "\"holdfast test zone\""),
    ] as [(name: String, type: String, expected: String)], [false, true])
    func recordTypes(record: (name: String, type: String, expected: String), tcp: Bool) async throws {
        let (name, type, expected) = record
        let stack = try await DaemonStack.start()
        let result = try await stack.dig(name, type, .init(tcp: tcp))
        #expect(result.status == "NOERROR", "\(result)")
        #expect(result.answerData(type) == [expected])
        #expect(result.transport == (tcp ? "TCP" : "UDP"))
        #expect(result.flags.contains("qr"))
        await stack.stop()
    }

    @Test func nxdomainCarriesTheSOA() async throws {
        let stack = try await DaemonStack.start()
        let result = try await stack.dig("no-such-name.example.test")
        #expect(result.status == "NXDOMAIN", "\(result)")
        #expect(result.answers.isEmpty)
        #expect(result.authority.first?.type == "SOA")
        await stack.stop()
    }

    @Test func cnameChainIsFollowedToTheAddress() async throws {
        let stack = try await DaemonStack.start()
        let result = try await stack.dig("alias.example.test")
        #expect(result.status == "NOERROR")
        #expect(result.answerData("CNAME") == ["www.example.test."])
        #expect(result.answerData("A") == ["192.0.2.1"])
        await stack.stop()
    }

    @Test func pipelinedQueriesOnOneTCPConnection() async throws {
        let stack = try await DaemonStack.start()
        let replies = try await DNSClient.pipelined([
            ("www.example.test", .a), ("www.example.test", .aaaa), ("mail.example.test", .a),
            ("example.test", .mx), ("gone.example.test", .a),
        ], to: stack.address)
        #expect(replies.count == 5)
        #expect(replies[1000]?.answers.map(\.data) == [.a([192, 0, 2, 1])])
        #expect(replies[1001]?.answers.first?.type == .aaaa)
        #expect(replies[1002]?.answers.map(\.data) == [.a([192, 0, 2, 25])])
        #expect(replies[1003]?.answers.first?.type == .mx)
        #expect(replies[1004]?.rcode == .nxDomain)
        await stack.stop()
    }

    @Test("A large answer is truncated over UDP and whole over TCP", arguments: [
        Dig.Options(ignoreTruncation: true),
        Dig.Options(bufferSize: 4096, ignoreTruncation: true),  // capped at 1232
        Dig.Options(noEDNS: true, ignoreTruncation: true),     // 512
    ])
    func largeAnswer(udpOptions: Dig.Options) async throws {
        let stack = try await DaemonStack.start()
        let udp = try await stack.dig("big.example.test", "A", udpOptions)
        #expect(udp.status == "NOERROR", "\(udp)")
        #expect(udp.truncated)
        #expect(udp.answers.count < Zone.bigRecordCount)
        #expect((udp.messageSize ?? .max) <= (udpOptions.noEDNS ? 512 : 1232))
        let tcp = try await stack.dig("big.example.test", "A", .init(tcp: true))
        #expect(!tcp.truncated)
        #expect(tcp.answers.count == Zone.bigRecordCount)
        let longText = try await stack.dig("longtxt.example.test", "TXT", .init(tcp: true))
        #expect(longText.answers.count == 1)
        await stack.stop()
    }

    @Test("The client's ID and question-name case come back", arguments: [DNSClient.Transport.udp, .tcp])
    func idAndCaseEchoed(transport: DNSClient.Transport) async throws {
        let stack = try await DaemonStack.start()
        let asked = try DNSName("WwW.ExAmPlE.test")
        for id: UInt16 in [0x0001, 0xBEEF, 0xFFFF] {
            let reply = try await DNSClient.query("WwW.ExAmPlE.test", .a, to: stack.address, over: transport, id: id)
            #expect(reply.header.id == id)
            #expect(reply.header.isResponse)
            #expect(reply.questions.count == 1)
            #expect(reply.questions.first.map { $0.name.hasIdenticalCase(to: asked) } == true)
            #expect(reply.answers.map(\.data) == [.a([192, 0, 2, 1])])
        }
        await stack.stop()
    }

    @Test func optOnlyWhenTheQueryHadOne() async throws {
        let stack = try await DaemonStack.start()
        let withEDNS = try await stack.dig("www.example.test")
        #expect(withEDNS.hasEDNS)
        let without = try await stack.dig("www.example.test", "A", .init(noEDNS: true))
        #expect(without.status == "NOERROR")
        #expect(!without.hasEDNS)
        await stack.stop()
    }

    /// Datagrams that arrive together are read and answered as a batch; each answer must go
    /// back to its own sender with its own ID, past one batch of 32, whatever path it took.
    @Test func aBurstFromManyClientsIsAnsweredEachToItsSender() async throws {
        let stack = try await DaemonStack.start()
        #expect(try await stack.dig("www.example.test").answerData("A") == ["192.0.2.1"])  // cached now
        enum Kind: CaseIterable { case hit, local, miss, garbage }
        var kinds: [Kind] = []
        var messages: [[UInt8]] = []
        for index in 0..<96 {
            let kind = Kind.allCases[index % 4]
            let id = UInt16(5000 + index)
            kinds.append(kind)
            switch kind {
            case .hit: messages.append(DNSMessage.makeQuery(id: id, question: DNSQuestion(name: try DNSName("www.example.test"), type: .a)))
            case .local: messages.append(DNSMessage.makeQuery(id: id, question: DNSQuestion(name: try DNSName("localhost"), type: .a)))
            case .miss: messages.append(DNSMessage.makeQuery(id: id, question: DNSQuestion(name: try DNSName("mail.example.test"), type: .a)))
            case .garbage: messages.append([UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0])  // lying QDCOUNT
            }
        }
        let replies = try await DNSClient.exchangeUDPBurst(messages, with: stack.address)
        for (index, (kind, reply)) in zip(kinds, replies).enumerated() {
            guard let reply else {
                Issue.record("client \(index) (\(kind)) got no answer")
                continue
            }
            let message = try DNSMessage(parsing: reply)
            #expect(message.header.id == UInt16(5000 + index), "client \(index) got another client's answer")
            switch kind {
            case .hit: #expect(message.answers.map(\.data) == [.a([192, 0, 2, 1])], "\(message)")
            case .local: #expect(message.answers.map(\.data) == [.a([127, 0, 0, 1])], "\(message)")
            case .miss: #expect(message.answers.map(\.data) == [.a([192, 0, 2, 25])], "\(message)")
            case .garbage: #expect(message.rcode == .formatError, "\(message)")
            }
        }
        await stack.stop()
    }

    @Test func listensOnIPv6LoopbackToo() async throws {
        let stack = try await DaemonStack.start { config, _ in config.listenIPv6 = true }
        let udp = try await Dig.query("www.example.test", "AAAA", server: stack.daemon.addressV6)
        #expect(udp.answerData("AAAA") == ["2001:db8::1"])
        let tcp = try await Dig.query("www.example.test", "A", server: stack.daemon.addressV6, options: .init(tcp: true))
        #expect(tcp.answerData("A") == ["192.0.2.1"])
        await stack.stop()
    }

    @Test("Local answers, never forwarded", arguments: [
        ("localhost", "A", "NOERROR", ["127.0.0.1"]),
        ("localhost", "AAAA", "NOERROR", ["::1"]),
        ("app.localhost", "A", "NOERROR", ["127.0.0.1"]),
        ("1.0.0.127.in-addr.arpa", "PTR", "NOERROR", ["localhost."]),
        ("invalid", "A", "NXDOMAIN", []),
        ("anything.invalid", "A", "NXDOMAIN", []),
        ("printer.lan", "A", "NOERROR", ["192.0.2.77"]),
    ])
    func localAnswers(name: String, type: String, status: String, data: [String]) async throws {
        let stack = try await DaemonStack.start { config, _ in
            config.localRecords = [.init("printer.lan", "A", "192.0.2.77", ttl: 300)]
        }
        let before = try await stack.nsd.queryCount()
        let result = try await stack.dig(name, type)
        #expect(result.status == status, "\(result)")
        #expect(result.answerData(type) == data)
        #expect(try await stack.nsd.queryCount() == before)
        await stack.stop()
    }
}
