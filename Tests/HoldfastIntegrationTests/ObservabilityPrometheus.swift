// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A strict parser for the Prometheus text exposition format 0.0.4, enough to hold the daemon
/// to it: `# TYPE` before a family's samples and at most once, valid metric and label names,
/// quoted label values with escapes, numeric values, one label-name set per sample name, and
/// histograms whose buckets are cumulative and end in `+Inf` equal to `_count`.
struct PrometheusText: Sendable {
    /// One sample line.
    struct Sample: Sendable, Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Family name → type (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    init(parsing text: String) throws {
        var labelNames: [String: Set<String>] = [:]
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let where_ = "line \(number + 1): \(line)"
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard parts.count >= 2 else { continue }  // a plain comment
                if parts[1] == "TYPE" {
                    guard parts.count == 4, Self.isMetricName(parts[2]) else { throw ObservabilityError("bad TYPE, \(where_)") }
                    let family = String(parts[2])
                    let type = String(parts[3])
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(type) else {
                        throw ObservabilityError("unknown type, \(where_)")
                    }
                    guard types[family] == nil else { throw ObservabilityError("second TYPE for \(family), \(where_)") }
                    guard !samples.contains(where: { Self.family(of: $0.name, types: types) == family || $0.name == family }) else {
                        throw ObservabilityError("TYPE after samples of \(family), \(where_)")
                    }
                    types[family] = type
                } else if parts[1] == "HELP" {
                    guard parts.count >= 3, Self.isMetricName(parts[2]) else { throw ObservabilityError("bad HELP, \(where_)") }
                }
                continue
            }
            let sample = try Self.parseSample(Substring(line), where_)
            guard types[Self.family(of: sample.name, types: types)] != nil else {
                throw ObservabilityError("sample without a preceding TYPE, \(where_)")
            }
            let names = Set(sample.labels.keys)
            if let known = labelNames[sample.name], known != names {
                throw ObservabilityError("label names \(names.sorted()) differ from \(known.sorted()), \(where_)")
            }
            labelNames[sample.name] = names
            samples.append(sample)
        }
        try checkHistograms()
    }

    /// The family a sample belongs to: its own name, or the histogram/summary it is part of.
    static func family(of name: String, types: [String: String]) -> String {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let type = types[base], type == "histogram" || (type == "summary" && suffix != "_bucket") { return base }
        }
        return name
    }

    /// Every family named in `# TYPE` lines.
    var families: Set<String> { Set(types.keys) }

    /// Samples named `name` whose labels include `labels`.
    func samples(_ name: String, _ labels: [String: String] = [:]) -> [Sample] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
    }

    /// The sum of the matching samples (0 when there are none).
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        samples(name, labels).reduce(0) { $0 + $1.value }
    }

    /// The label names a family's samples carry (for a histogram, those of `_count`).
    func labelNames(of family: String) -> Set<String> {
        let name = types[family] == "histogram" ? family + "_count" : family
        return Set(samples.first { $0.name == name }?.labels.keys ?? [:].keys)
    }

    // MARK: Parsing

    private static func isMetricName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    private static func isLabelName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    private static func parseSample(_ line: Substring, _ where_: String) throws -> Sample {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = rest[..<nameEnd]
        guard isMetricName(name) else { throw ObservabilityError("bad metric name, \(where_)") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let equals = rest.firstIndex(of: "=") else { throw ObservabilityError("bad labels, \(where_)") }
                let labelName = rest[..<equals]
                guard isLabelName(labelName) else { throw ObservabilityError("bad label name \(labelName), \(where_)") }
                rest = rest[rest.index(after: equals)...]
                guard rest.first == "\"" else { throw ObservabilityError("unquoted label value, \(where_)") }
                rest = rest.dropFirst()
                var value = ""
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\"" {
                        closed = true
                        break
                    }
                    if character == "\\" {
                        guard let escaped = rest.first else { break }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: throw ObservabilityError("bad escape \\\(escaped), \(where_)")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { throw ObservabilityError("unterminated label value, \(where_)") }
                guard labels.updateValue(value, forKey: String(labelName)) == nil else {
                    throw ObservabilityError("duplicate label \(labelName), \(where_)")
                }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" {
                    throw ObservabilityError("expected , or }, \(where_)")
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw ObservabilityError("no value, \(where_)") }
        let fields = rest.split(separator: " ")
        guard fields.count == 1 || fields.count == 2, let value = number(fields[0]) else {
            throw ObservabilityError("value is not a number, \(where_)")
        }
        if fields.count == 2 && Int64(fields[1]) == nil { throw ObservabilityError("bad timestamp, \(where_)") }
        return Sample(name: String(name), labels: labels, value: value)
    }

    private static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }

    /// Buckets are cumulative, end in `le="+Inf"`, and that bucket equals `_count`.
    private func checkHistograms() throws {
        for (family, type) in types where type == "histogram" {
            let buckets = samples.filter { $0.name == family + "_bucket" }
            let series = Dictionary(grouping: buckets) { sample in
                sample.labels.filter { $0.key != "le" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            }
            for (key, buckets) in series {
                let ordered = try buckets.map { sample -> (Double, Double) in
                    guard let le = sample.labels["le"], let bound = Self.number(Substring(le)) else {
                        throw ObservabilityError("\(family) bucket without a numeric le {\(key)}")
                    }
                    return (bound, sample.value)
                }.sorted { $0.0 < $1.0 }
                guard ordered.last?.0 == .infinity else { throw ObservabilityError("\(family){\(key)} has no +Inf bucket") }
                for (earlier, later) in zip(ordered, ordered.dropFirst()) where later.1 < earlier.1 {
                    throw ObservabilityError("\(family){\(key)} buckets are not cumulative")
                }
                let labels = buckets[0].labels.filter { $0.key != "le" }
                let count = samples(family + "_count", labels)
                guard count.count == 1, count[0].value == ordered.last?.1 else {
                    throw ObservabilityError("\(family){\(key)}: +Inf bucket differs from _count")
                }
            }
        }
    }
}
