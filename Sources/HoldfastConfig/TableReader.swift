// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// What every reader needs to build an error: the file name and where keys are.
struct ConfigContext: Sendable {
    let file: String
    let lines: SourceLineIndex

    func error(_ keyPath: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, line: lines.line(for: keyPath), keyPath: keyPath, problem: problem)
    }
}

/// Typed, path-aware access to one TOML table. Every failure is a `ConfigError` naming the
/// full key path (and its line when the source scan found it).
struct TableReader {
    let table: TOMLTable
    /// Path of this table: "" for the root, `cache.stale`, `upstream.provider[1]`.
    let path: String
    let context: ConfigContext

    func keyPath(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    func error(_ key: String, _ problem: String) -> ConfigError {
        context.error(keyPath(key), problem)
    }

    /// Rejects any key not in `allowed`, reporting the first one in file order.
    func rejectUnknownKeys(allowed: [String]) throws(ConfigError) {
        let unknown = table.keys.filter { !allowed.contains($0) }
        guard !unknown.isEmpty else { return }
        let first = unknown.min { a, b in
            let lineA = context.lines.line(for: keyPath(a)) ?? Int.max
            let lineB = context.lines.line(for: keyPath(b)) ?? Int.max
            return (lineA, a) < (lineB, b)
        }
        guard let first else { return }
        var problem = "unknown key"
        if let suggestion = KeySuggestion.closest(to: first, in: allowed) {
            problem += " (did you mean \"\(suggestion)\"?)"
        } else {
            let scope = path.isEmpty ? "at the top level" : "in [\(path)]"
            problem += "; valid keys \(scope): \(allowed.joined(separator: ", "))"
        }
        // Use this table's key path for the line: the unknown key itself was recorded by the scan.
        throw error(first, problem)
    }

    private func value(_ key: String) -> TOMLValue? { table[key] }

    private func mismatch(_ key: String, expected: String, found: TOMLValue) -> ConfigError {
        error(key, "expected \(expected), found \(found.typeName)")
    }

    // MARK: scalars

    /// An integer in `range`, or `defaultValue` when the key is absent.
    func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard let raw = value(key) else { return defaultValue }
        guard let number = raw.int else { throw mismatch(key, expected: "integer", found: raw) }
        if number < range.lowerBound {
            throw error(key, "must be at least \(range.lowerBound), found \(number)")
        }
        if number > range.upperBound {
            throw error(key, "must be at most \(range.upperBound), found \(number)")
        }
        return number
    }

    func bool(_ key: String, default defaultValue: Bool) throws(ConfigError) -> Bool {
        guard let raw = value(key) else { return defaultValue }
        guard let flag = raw.bool else { throw mismatch(key, expected: "boolean (true or false)", found: raw) }
        return flag
    }

    /// True when the key is present, whatever its type.
    func has(_ key: String) -> Bool { value(key) != nil }

    /// A string, or nil when the key is absent.
    func string(_ key: String) throws(ConfigError) -> String? {
        guard let raw = value(key) else { return nil }
        guard let text = raw.string else { throw mismatch(key, expected: "string", found: raw) }
        return text
    }

    func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let text = try string(key) else { throw error(key, "is required") }
        return text
    }

    // MARK: arrays

    /// The strings of an array with each element's key path, or nil when the key is absent.
    func strings(_ key: String) throws(ConfigError) -> [(value: String, keyPath: String)]? {
        guard let raw = value(key) else { return nil }
        guard let array = raw.array else { throw mismatch(key, expected: "array of strings", found: raw) }
        var result: [(value: String, keyPath: String)] = []
        for index in 0..<array.count {
            let elementPath = "\(keyPath(key))[\(index)]"
            let element = array[index]
            guard let text = element.string else {
                throw context.error(elementPath, "expected string, found \(element.typeName)")
            }
            result.append((text, elementPath))
        }
        return result
    }

    // MARK: tables

    /// A sub-table (`[server]`, `[cache.stale]`), or nil when absent.
    func table(_ key: String) throws(ConfigError) -> TableReader? {
        guard let raw = value(key) else { return nil }
        guard let child = raw.table else { throw mismatch(key, expected: "table", found: raw) }
        return TableReader(table: child, path: keyPath(key), context: context)
    }

    /// The entries of an array of tables (`[[route]]`), or [] when absent.
    func tables(_ key: String) throws(ConfigError) -> [TableReader] {
        guard let raw = value(key) else { return [] }
        let expected = "array of tables ([[\(keyPath(key))]])"
        guard let array = raw.array else { throw mismatch(key, expected: expected, found: raw) }
        var result: [TableReader] = []
        for index in 0..<array.count {
            let elementPath = "\(keyPath(key))[\(index)]"
            guard let child = array[index].table else {
                throw context.error(elementPath, "expected table, found \(array[index].typeName)")
            }
            result.append(TableReader(table: child, path: elementPath, context: context))
        }
        return result
    }
}

/// "Did you mean" for misspelt keys: the closest allowed key within a small edit distance.
enum KeySuggestion {
    static func closest(to key: String, in candidates: [String]) -> String? {
        let lowered = key.lowercased()
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(Array(lowered.utf8), Array(candidate.utf8))
            if distance <= max(1, min(3, candidate.utf8.count / 3)), distance < (best?.1 ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
