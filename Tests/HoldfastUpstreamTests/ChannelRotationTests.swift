// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import HoldfastTestSupport
import Testing
@testable import HoldfastUpstream

/// Issue 25 / 24: a c-ares channel keeps its UDP socket (ARES_FLAG_STAYOPEN) so a miss does not
/// pay socket/connect/close; source ports change by channel rotation only, and a rotated-away
/// channel closes its socket once its last query is done.
@Suite(.serialized) struct ChannelRotationTests {
    /// UDP sockets in this network namespace connected to 127.0.0.1:`port` — only the pool's,
    /// since nothing else talks to a fake started by this test.
    static func socketsConnected(toPort port: Int) throws -> Int {
        let wanted = "0100007F:" + String(format: "%04X", port)
        let table = try String(contentsOfFile: "/proc/net/udp", encoding: .utf8)
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && fields[2] == wanted
        }.count
    }

    @Test func zeroMeansOneSourcePortForever() async throws {
        let fakes = try await startFakes([.normal])
        let pool = try makePool(makeConfiguration(fakes, rotateAfterQueries: ChannelRotation(rotateAfterQueries: 0)))
        // One at a time: the case where c-ares 1.18 without STAYOPEN closes the idle socket
        // and opens a new one (a new port) for every query.
        for index in 0..<200 {
            #expect(await pool.resolve(try aQuestion("n\(index).example"), dnssecOK: false).provider == "p0")
        }
        await pool.loopBarrier()
        #expect(fakes[0].queryCount == 200)
        #expect(Set(fakes[0].sourcePorts).count == 1)
        #expect(try Self.socketsConnected(toPort: fakes[0].port) == 1)
        pool.shutdown()
        #expect(try Self.socketsConnected(toPort: fakes[0].port) == 0)
        await stopFakes(fakes)
    }

    @Test func oneSocketPerRotationNotPerQuery() async throws {
        let fakes = try await startFakes([.normal])
        let pool = try makePool(makeConfiguration(fakes, rotateAfterQueries: .afterQueries(10)))
        for index in 0..<100 {
            #expect(await pool.resolve(try aQuestion("s\(index).example"), dnssecOK: false).provider == "p0")
        }
        // Ten channels, one socket each (a new socket may by chance get a port used before).
        #expect((9...10).contains(Set(fakes[0].sourcePorts).count))
        pool.shutdown()
        await stopFakes(fakes)
    }

    @Test func rotatedChannelsCloseTheirSocketsWhenTheirLastQueryEnds() async throws {
        let fakes = try await startFakes([.normal])
        let pool = try makePool(makeConfiguration(fakes, rotateAfterQueries: .afterQueries(10)))
        for batch in 0..<50 {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask { _ = await pool.resolve(try! aQuestion("c\(batch)-\(index).example"), dnssecOK: false) }
                }
            }
        }
        await pool.loopBarrier()
        #expect(fakes[0].queryCount == 1000)
        #expect(Set(fakes[0].sourcePorts).count >= 50)
        // About 100 channels were used. Each live one holds one socket: the current one, plus
        // a retired one only while a resend (sent when a reply was slow) is still in flight on
        // it. No retired channel with nothing in flight survives.
        let port = fakes[0].port
        let census = await pool.channelCensus { (try? Self.socketsConnected(toPort: port)) ?? -1 }
        #expect(census.retiredIdle == 0, "\(census)")
        #expect(census.probe == census.live, "sockets connected vs live channels: \(census)")
        #expect((1...3).contains(census.live), "\(census)")
        pool.shutdown()
        #expect(try Self.socketsConnected(toPort: fakes[0].port) == 0)
        await stopFakes(fakes)
    }

    @Test func parsedZeroIsNever() {
        #expect(ChannelRotation(rotateAfterQueries: 0) == .never)
        #expect(ChannelRotation(rotateAfterQueries: 1) == .afterQueries(1))
        #expect(!ChannelRotation.never.isDue(sent: Int.max))
        #expect(ChannelRotation.afterQueries(3).isDue(sent: 3))
        #expect(!ChannelRotation.afterQueries(3).isDue(sent: 2))
    }
}
