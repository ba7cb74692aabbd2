// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import HoldfastResolver
import HoldfastUpstream
import Synchronization

/// An in-process upstream whose reply comes from the fuzz input. Like the real pool it only
/// hands the resolver replies that decode, echo the question and carry NOERROR or NXDOMAIN
/// (see `Attempt.verdict`); everything else becomes a failure, so the fuzzer explores what the
/// resolver and cache do with any validated upstream answer.
final class FuzzUpstream: UpstreamResolving {
    enum Mode: UInt8, Sendable {
        /// Answer with the fuzz reply (question spliced in).
        case answer
        /// Every attempt failed.
        case fail
        /// Known-down short cut.
        case allDown
    }

    private struct State {
        var mode: Mode = .answer
        var knownDown = false
        var asked = 0
    }

    private let state = Mutex(State())
    /// Header (12 bytes) and record region of the reply, from the fuzz input.
    private let replyTemplate: [UInt8]

    init(replyTemplate: [UInt8]) { self.replyTemplate = replyTemplate }

    func set(mode: Mode, knownDown: Bool) {
        state.withLock {
            $0.mode = mode
            $0.knownDown = knownDown
        }
    }

    var asked: Int { state.withLock { $0.asked } }

    func isKnownDown(for name: DNSName) -> Bool { state.withLock { $0.knownDown } }

    /// Completes inline, on the caller's thread (the fuzzer's single thread).
    func start(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?,
               completion: @escaping @Sendable (UpstreamResult) -> Void) {
        completion(resolve(question, dnssecOK: dnssecOK, onAllDown: onAllDown))
    }

    /// Deadlines never matter here: every question completes inline, before any could pass.
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {}

    private func resolve(_ question: DNSQuestion, dnssecOK: Bool, onAllDown: (@Sendable () -> Void)?) -> UpstreamResult {
        let mode = state.withLock { state -> Mode in
            state.asked += 1
            return state.mode
        }
        switch mode {
        case .fail:
            return .failed(.timeout)
        case .allDown:
            onAllDown?()
            return .allDown
        case .answer:
            let reply = splice(question)
            guard let message = try? DNSMessage(parsing: reply), message.header.isResponse,
                  message.questions.count == 1, message.questions[0] == question,
                  message.rcode == .noError || message.rcode == .nxDomain
            else { return .failed(.malformedReply) }
            return .answer(reply: reply, provider: "fuzz", server: "127.0.0.1:53")
        }
    }

    /// The template's header with QDCOUNT 1 and QR set, the question, then the template's
    /// bytes after its header (compression pointers in them are the fuzzer's business).
    private func splice(_ question: DNSQuestion) -> [UInt8] {
        var header = Array(replyTemplate.prefix(12))
        header += [UInt8](repeating: 0, count: 12 - header.count)
        header[2] |= 0x80
        header[4] = 0
        header[5] = 1
        var bytes = header
        bytes += question.name.wireBytes
        bytes += [UInt8(question.type.rawValue >> 8), UInt8(question.type.rawValue & 0xFF)]
        bytes += [UInt8(question.qclass.rawValue >> 8), UInt8(question.qclass.rawValue & 0xFF)]
        bytes += replyTemplate.dropFirst(12)
        return bytes
    }
}

/// A clock moved by the fuzz input.
final class FuzzClock: MillisecondClock {
    private let now = Atomic<UInt64>(10_000_000)
    func nowMillis() -> UInt64 { now.load(ordering: .relaxed) }
    func advance(millis: UInt64) { now.wrappingAdd(millis, ordering: .relaxed) }
}
