// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation

/// Runs Debian's `dig` against a loopback server and parses what it prints. Every run has
/// `+time=2 +tries=1`; non-loopback servers are refused by `LoopbackAddress`.
public enum Dig {
    /// Query options, each mapping to dig flags.
    public struct Options: Sendable {
        public var tcp = false
        /// Ask for recursion (RD). dig's default is on.
        public var recurse = true
        /// EDNS payload size; nil = dig's default (EDNS with 1232).
        public var bufferSize: Int?
        /// Send no OPT record at all.
        public var noEDNS = false
        public var dnssec = false
        /// Do not retry over TCP when the UDP answer is truncated (see TC=1 as is).
        public var ignoreTruncation = false
        /// Extra raw dig arguments, e.g. "+cookie".
        public var extra: [String] = []

        public init(
            tcp: Bool = false, recurse: Bool = true, bufferSize: Int? = nil, noEDNS: Bool = false,
            dnssec: Bool = false, ignoreTruncation: Bool = false, extra: [String] = []
        ) {
            self.tcp = tcp
            self.recurse = recurse
            self.bufferSize = bufferSize
            self.noEDNS = noEDNS
            self.dnssec = dnssec
            self.ignoreTruncation = ignoreTruncation
            self.extra = extra
        }

        var arguments: [String] {
            var arguments = ["+time=2", "+tries=1"]
            if tcp { arguments.append("+tcp") }
            if !recurse { arguments.append("+norec") }
            if noEDNS { arguments.append("+noedns") } else if let bufferSize { arguments.append("+bufsize=\(bufferSize)") }
            if dnssec { arguments.append("+dnssec") }
            if ignoreTruncation { arguments.append("+ignore") }
            return arguments + extra
        }
    }

    /// Runs `dig @server -p port name type <options>` and parses its output.
    public static func query(
        _ name: String, _ type: String = "A", server: LoopbackAddress, options: Options = Options()
    ) async throws -> DigResult {
        let arguments = ["@\(server.host)", "-p", "\(server.port)", name, type] + options.arguments
        let run = try await ChildProcess.run(
            try Executables.find("dig"), arguments, environment: ["PATH": "/usr/bin:/bin"], timeout: .seconds(15))
        return DigResult(output: run.stdout.joined(separator: "\n"), exitStatus: run.status)
    }
}

/// What dig printed, parsed: rcode, header flags, sections, EDNS and EDE, timing.
public struct DigResult: Sendable, CustomStringConvertible {
    /// One resource record line of an answer, authority or additional section.
    public struct Record: Sendable, Hashable {
        public var name: String
        public var ttl: UInt32
        public var rclass: String
        public var type: String
        public var data: String
    }

    /// Everything dig printed on stdout.
    public let raw: String
    /// dig's exit status (0 answered, 9 no reply, 10 internal error...).
    public let exitStatus: Int32
    /// "NOERROR", "NXDOMAIN", "SERVFAIL", ...; nil when no answer was received.
    public private(set) var status: String?
    public private(set) var id: UInt16?
    /// Lowercase header flags: "qr", "aa", "tc", "rd", "ra", "ad", "cd".
    public private(set) var flags: Set<String> = []
    public private(set) var answers: [Record] = []
    public private(set) var authority: [Record] = []
    public private(set) var additional: [Record] = []
    /// The question name as echoed in the answer's QUESTION SECTION (case preserved).
    public private(set) var questionName: String?
    /// UDP payload size from the answer's OPT record; nil when it had none.
    public private(set) var ednsUDPSize: Int?
    /// Extended DNS Errors printed (RFC 8914): the info code and the rest of the line.
    public private(set) var extendedErrors: [(code: Int, text: String)] = []
    public private(set) var queryTimeMs: Int?
    /// "UDP" or "TCP" from the `;; SERVER:` line.
    public private(set) var transport: String?
    public private(set) var messageSize: Int?

    /// Whether an answer was received.
    public var answered: Bool { status != nil }
    public var truncated: Bool { flags.contains("tc") }
    public var hasEDNS: Bool { ednsUDPSize != nil }

    /// Answer records of `type`, their data fields.
    public func answerData(_ type: String) -> [String] {
        answers.filter { $0.type == type.uppercased() }.map(\.data)
    }

    public var description: String { raw }

    public init(output: String, exitStatus: Int32) {
        raw = output
        self.exitStatus = exitStatus
        enum Section { case none, question, answer, authority, additional }
        var section = Section.none
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix(";; ->>HEADER<<-") {
                status = Self.field(line, after: "status: ", until: ",")
                id = Self.field(line, after: "id: ", until: ",").flatMap { UInt16($0) }
            } else if line.hasPrefix(";; flags:") {
                let text = Self.field(line, after: ";; flags:", until: ";") ?? ""
                flags = Set(text.split(separator: " ").map { String($0).lowercased() })
            } else if line.hasPrefix("; EDNS:") {
                ednsUDPSize = Self.field(line, after: "udp: ", until: " ").flatMap { Int($0) }
            } else if line.hasPrefix("; EDE:") {
                let rest = line.dropFirst("; EDE:".count).trimmingCharacters(in: .whitespaces)
                let digits = rest.prefix { $0.isNumber }
                if let code = Int(digits) {
                    extendedErrors.append((code, String(rest.dropFirst(digits.count)).trimmingCharacters(in: .whitespaces)))
                }
            } else if line.hasPrefix(";; Query time:") {
                queryTimeMs = Self.field(line, after: ";; Query time: ", until: " ").flatMap { Int($0) }
            } else if line.hasPrefix(";; SERVER:") {
                transport = line.hasSuffix("(TCP)") ? "TCP" : line.hasSuffix("(UDP)") ? "UDP" : nil
            } else if line.hasPrefix(";; MSG SIZE") {
                messageSize = Self.field(line, after: "rcvd: ", until: " ").flatMap { Int($0) }
            } else if line.hasPrefix(";; QUESTION SECTION:") {
                section = .question
            } else if line.hasPrefix(";; ANSWER SECTION:") {
                section = .answer
            } else if line.hasPrefix(";; AUTHORITY SECTION:") {
                section = .authority
            } else if line.hasPrefix(";; ADDITIONAL SECTION:") {
                section = .additional
            } else if line.isEmpty || line.hasPrefix(";;") {
                section = line.isEmpty ? .none : section
            } else if section == .question, line.hasPrefix(";") {
                questionName = line.dropFirst().split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
            } else if let record = Self.record(line) {
                switch section {
                case .answer: answers.append(record)
                case .authority: authority.append(record)
                case .additional: additional.append(record)
                case .none, .question: break
                }
            }
        }
    }

    private static func field(_ line: String, after marker: String, until terminator: Character) -> String? {
        guard let range = line.range(of: marker) else { return nil }
        let rest = line[range.upperBound...]
        let value = rest.prefix { $0 != terminator }
        return value.trimmingCharacters(in: .whitespaces)
    }

    private static func record(_ line: String) -> Record? {
        guard !line.hasPrefix(";") else { return nil }
        let parts = line.split(maxSplits: 4, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count >= 4, let ttl = UInt32(parts[1]) else { return nil }
        let data = parts.count == 5 ? parts[4].trimmingCharacters(in: .whitespaces) : ""
        return Record(name: parts[0], ttl: ttl, rclass: parts[2], type: parts[3], data: data)
    }
}
