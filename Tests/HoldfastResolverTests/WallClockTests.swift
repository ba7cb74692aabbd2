// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastResolver
import Testing

/// The RFC 3339 times in log lines and `GET /held`, without Foundation.
@Suite struct WallClockTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z"), (1_760_945_280.9, "2025-10-20T07:28:00Z"), (951_782_400, "2000-02-29T00:00:00Z"),
        (4_102_444_799, "2099-12-31T23:59:59Z"), (-1, "1969-12-31T23:59:59Z"),
    ])
    func formatsUTC(seconds: Double, expected: String) {
        #expect(WallClock.timestamp(epochSeconds: seconds) == expected)
    }
}
