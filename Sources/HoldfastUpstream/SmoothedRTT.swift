// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A server's round-trip estimator, as TCP (RFC 6298) and Unbound's util/rtt.c do it:
/// SRTT and RTTVAR in milliseconds, RTO = SRTT + 4·RTTVAR within [floor, ceiling].
/// An unmeasured server starts with Unbound's conservative 376 ms.
public struct SmoothedRTT: Sendable, Equatable {
    /// Unbound's RTT_MIN_TIMEOUT.
    public static let defaultFloorMs: Double = 50
    /// Unbound's RTT_DEFAULT_TIMEOUT for a server never measured.
    public static let unmeasuredTimeoutMs: Double = 376

    public private(set) var srttMs: Double = 0
    public private(set) var rttvarMs: Double = SmoothedRTT.unmeasuredTimeoutMs / 4
    /// The retransmission timeout: how long an attempt may stay silent before the question moves on.
    public private(set) var rtoMs: Double
    public private(set) var samples: Int = 0
    public let floorMs: Double
    public let ceilingMs: Double

    public init(floorMs: Double = SmoothedRTT.defaultFloorMs, ceilingMs: Double) {
        self.floorMs = floorMs
        self.ceilingMs = max(ceilingMs, floorMs)
        self.rtoMs = min(max(SmoothedRTT.unmeasuredTimeoutMs, floorMs), self.ceilingMs)
    }

    /// True once at least one reply was timed.
    public var isMeasured: Bool { samples > 0 }

    /// The smoothed RTT, nil until measured.
    public var smoothed: Double? { isMeasured ? srttMs : nil }

    /// The retransmission timeout as a Duration.
    public var rto: Duration { .microseconds(Int64(rtoMs * 1000)) }

    /// Feeds one measured round trip.
    public mutating func update(sampleMs: Double) {
        let sample = max(0, sampleMs)
        if samples == 0 {
            srttMs = sample
            rttvarMs = sample / 2
        } else {
            let delta = sample - srttMs
            srttMs += delta / 8
            rttvarMs += (abs(delta) - rttvarMs) / 4
        }
        samples += 1
        rtoMs = clamp(srttMs + 4 * rttvarMs)
    }

    /// Feeds a measured Duration.
    public mutating func update(sample: Duration) {
        let (seconds, attoseconds) = sample.components
        update(sampleMs: Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }

    /// An attempt went unanswered for a whole RTO: back off (double the RTO, up to the ceiling),
    /// as Unbound's rtt_lost does. The next measured reply recomputes it.
    public mutating func timedOut() {
        rtoMs = clamp(rtoMs * 2)
    }

    private func clamp(_ value: Double) -> Double { min(max(value, floorMs), ceilingMs) }
}
