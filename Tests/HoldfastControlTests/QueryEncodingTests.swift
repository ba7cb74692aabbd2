// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastCtl
import Testing

/// holdfastctl percent-encodes what it puts in a query string itself (no Foundation): names with
/// reserved or non-ASCII characters reach the daemon exactly as typed.
@Suite("holdfastctl query encoding")
struct QueryEncodingTests {
    @Test func namesArriveUnchanged() async throws {
        let names = ["a b&type=x.example.", "café.example.", "100%+#?/.example.", "~-_.example."]
        try await withServer { running in
            for name in names {
                let outcome = try await offPool {
                    Holdfastctl.execute(arguments: ["--socket", running.socketPath, "cache", "flush", name])
                }
                #expect(outcome == CommandOutcome(stdout: "flushed 1 entry\n"), "\(name)")
            }
            #expect(running.backend.script.withLock { $0.flushedNames } == names)
        }
    }
}
