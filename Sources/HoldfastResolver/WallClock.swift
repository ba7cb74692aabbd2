// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time for what operators read (log lines, `GET /held`); the resolver itself
/// runs on the injected monotonic clock.
public enum WallClock {
    /// Seconds since 1970 now (CLOCK_REALTIME).
    public static func nowEpochSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// The wall-clock time of a monotonic instant, given the monotonic `now`.
    public static func epochSeconds(ofMonotonic millis: UInt64, now: UInt64) -> Double {
        nowEpochSeconds() + (Double(millis) - Double(now)) / 1000
    }

    /// `timestamp(epochSeconds:)` of a monotonic instant.
    public static func timestamp(ofMonotonic millis: UInt64, now: UInt64) -> String {
        timestamp(epochSeconds: epochSeconds(ofMonotonic: millis, now: now))
    }

    /// RFC 3339 UTC, whole seconds: `2025-10-20T07:48:00Z`. No Foundation.
    public static func timestamp(epochSeconds: Double) -> String {
        let total = Int64(epochSeconds.rounded(.down))
        var days = total / 86_400
        var seconds = total % 86_400
        if seconds < 0 {
            seconds += 86_400
            days -= 1
        }
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))Z"
    }
}
