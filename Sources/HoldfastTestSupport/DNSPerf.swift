// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation

/// A bounded `dnsperf` run (Debian's, package dnsperf): a steady rate of queries from a names
/// file for a fixed time, then its own count of what was sent, answered, lost (no answer within
/// the timeout) and the answers by rcode. For load during a handover or an outage.
public struct DNSPerf: Sendable {
    /// What dnsperf reported.
    public struct Result: Sendable, CustomStringConvertible {
        public var sent = 0
        public var completed = 0
        public var lost = 0
        /// Answers by rcode name ("NOERROR", "SERVFAIL", ...).
        public var rcodes: [String: Int] = [:]
        public var output: [String] = []

        public var description: String { "sent \(sent), completed \(completed), lost \(lost), rcodes \(rcodes)" }

        /// Reads dnsperf's "Statistics:" block.
        init(lines: [String]) {
            output = lines
            for line in lines.map({ $0.trimmingCharacters(in: .whitespaces) }) {
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                if line.hasPrefix("Queries sent:"), words.count >= 3 { sent = Int(words[2]) ?? 0 }
                if line.hasPrefix("Queries completed:"), words.count >= 3 { completed = Int(words[2]) ?? 0 }
                if line.hasPrefix("Queries lost:"), words.count >= 3 { lost = Int(words[2]) ?? 0 }
                if line.hasPrefix("Response codes:") {
                    // "Response codes: NOERROR 2000 (100.00%), SERVFAIL 3 (0.15%)"
                    let pairs = words.dropFirst(2).filter { !$0.hasPrefix("(") }
                    var iterator = pairs.makeIterator()
                    while let code = iterator.next(), let count = iterator.next() {
                        rcodes[String(code)] = Int(count.trimmingCharacters(in: CharacterSet(charactersIn: ","))) ?? 0
                    }
                }
            }
        }
    }

    /// Runs dnsperf against `host`:`port` at `qps` for `seconds` (at most `qps × seconds`
    /// queries), cycling through `names` (each "name TYPE"); a query unanswered after
    /// `timeoutSeconds` counts as lost. `clients` sockets send (each its own source port, so
    /// SO_REUSEPORT spreads them over the listening sockets). `prefix` runs it elsewhere (a
    /// network namespace).
    public static func run(
        host: String, port: UInt16, names: [String], qps: Int, seconds: Int, timeoutSeconds: Int = 2,
        clients: Int = 16, directory: TemporaryDirectory, prefix: [String] = []
    ) async throws -> Result {
        let file = try directory.write("dnsperf-\(UInt32.random(in: 0...UInt32.max)).txt", names.joined(separator: "\n") + "\n")
        let dnsperf = try Executables.find("dnsperf")
        let arguments = [dnsperf, "-s", host, "-p", "\(port)", "-d", file, "-Q", "\(qps)", "-l", "\(seconds)",
                         "-t", "\(timeoutSeconds)", "-c", "\(clients)", "-q", "\(max(10, qps))"]
        let full = prefix + arguments
        let run = try await ChildProcess.run(
            full[0], Array(full.dropFirst()), environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
            timeout: .seconds(seconds + timeoutSeconds + 20))
        let result = Result(lines: run.stdout + run.stderr)
        guard run.status == 0, result.sent > 0 else {
            throw TestSupportError.startFailed("dnsperf exited \(run.status): \((run.stdout + run.stderr).joined(separator: "\n"))")
        }
        return result
    }
}
