// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Map from key paths (`upstream.provider[1].servers[0]`) to the 1-based line that defines
/// them, filled by `TOMLDocument` as it reads: keys (dotted ones under their full path), table
/// headers, the entries of arrays of tables and the elements of arrays, inline tables included.
struct SourceLineIndex: Sendable {
    private var lines: [String: Int] = [:]

    /// The line of `keyPath`, or of its nearest enclosing key or table that has one.
    func line(for keyPath: String) -> Int? {
        var path = Substring(keyPath)
        while !path.isEmpty {
            if let line = lines[String(path)] { return line }
            if path.hasSuffix("]"), let open = path.lastIndex(of: "[") {
                path = path[..<open]
            } else if let dot = path.lastIndex(of: ".") {
                path = path[..<dot]
            } else {
                return nil
            }
        }
        return nil
    }

    /// Records where `path` is defined; the first record of a path stays.
    mutating func record(_ path: String, _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }
}
