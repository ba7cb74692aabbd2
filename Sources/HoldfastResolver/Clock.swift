// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#endif

/// Monotonic milliseconds, injected so tests can move time by hand.
public protocol MillisecondClock: Sendable {
    func nowMillis() -> UInt64
}

/// CLOCK_MONOTONIC, no Foundation.
public struct SystemMillisecondClock: MillisecondClock {
    public init() {}
    public func nowMillis() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1000 + UInt64(spec.tv_nsec) / 1_000_000
    }
}

/// Monotonic nanoseconds for latency measurement.
@inline(__always)
public func monotonicNanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
