// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastTestSupport
import Testing

/// Provider failover with a closed loopback port as the broken provider.
@Suite("holdfastd fails over between providers", .serialized)
struct DaemonFailoverTests {
    @Test func closedFirstProviderFallsThroughToTheSecond() async throws {
        let closed = LoopbackAddress.v4(try FreePort.closed())
        let stack = try await DaemonStack.start { config, nsd in
            config.providers = [.init("broken", [closed]), .init("working", [nsd])]
        }
        for name in ["www.example.test", "mail.example.test"] {
            let result = try await stack.dig(name)
            #expect(result.status == "NOERROR", "\(result)")
            #expect(result.answers.count == 1)
            // A refused port fails at once: the fallback must not wait for timeout_ms.
            #expect((result.queryTimeMs ?? .max) < 500)
        }
        await stack.stop()
    }

    @Test func closedFirstServerOfAProviderFallsThroughToItsSecond() async throws {
        let closed = LoopbackAddress.v4(try FreePort.closed())
        let stack = try await DaemonStack.start { config, nsd in
            config.providers = [.init("mixed", [closed, nsd])]
        }
        let result = try await stack.dig("www.example.test")
        #expect(result.answerData("A") == ["192.0.2.1"], "\(result)")
        await stack.stop()
    }

    @Test("Every provider failing gives SERVFAIL (with EDE 22 when EDNS was sent)", arguments: [true, false])
    func allProvidersFailing(edns: Bool) async throws {
        let first = LoopbackAddress.v4(try FreePort.closed())
        let second = LoopbackAddress.v4(try FreePort.closed())
        let stack = try await DaemonStack.start { config, _ in
            config.providers = [.init("a", [first]), .init("b", [second])]
        }
        let result = try await stack.dig("www.example.test", "A", .init(noEDNS: !edns))
        #expect(result.status == "SERVFAIL", "\(result)")
        #expect(result.answers.isEmpty)
        if edns {
            #expect(result.extendedErrors.map(\.code).contains(22), "\(result)")
        } else {
            #expect(!result.hasEDNS)
        }
        await stack.stop()
    }

    @Test func nxdomainIsAnAnswerNotAFailure() async throws {
        // Two providers both backed by nsd: NXDOMAIN from the first must not be retried at the second.
        let stack = try await DaemonStack.start { config, nsd in
            config.providers = [.init("first", [nsd]), .init("second", [nsd])]
        }
        let before = try await stack.nsd.queryCount()
        let result = try await stack.dig("absent.example.test")
        #expect(result.status == "NXDOMAIN")
        #expect(try await stack.nsd.queryCount() - before == 1)
        await stack.stop()
    }
}
