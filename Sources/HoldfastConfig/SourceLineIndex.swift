/// Best-effort map from key paths (`upstream.provider[1].servers`) to the 1-based line that
/// defines them, built by scanning the TOML text (TOMLKit reports lines only for syntax errors).
///
/// Understands `[table]` and `[[array.of.tables]]` headers (counting the array entries),
/// `key = value` and dotted `a.b = value` lines. Multi-line strings and inline tables are not
/// followed; a lookup then falls back to the nearest enclosing key or header.
struct SourceLineIndex: Sendable {
    private var lines: [String: Int] = [:]

    init(text: String) {
        var arrayCounts: [String: Int] = [:]
        var current = ""
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("[[") {
                guard let end = line.firstRange(of: "]]") else { continue }
                let name = Self.keyComponents(line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound])
                let base = Self.resolve(name, arrayCounts: arrayCounts)
                let index = arrayCounts[base, default: 0]
                arrayCounts[base] = index + 1
                current = "\(base)[\(index)]"
                record(current, lineNumber)
            } else if line.hasPrefix("[") {
                guard let end = line.firstIndex(of: "]") else { continue }
                let name = Self.keyComponents(line[line.index(after: line.startIndex)..<end])
                current = Self.resolve(name, arrayCounts: arrayCounts)
                record(current, lineNumber)
            } else if let equals = Self.unquotedEquals(in: line) {
                let key = Self.keyComponents(line[..<equals]).joined(separator: ".")
                guard !key.isEmpty else { continue }
                record(current.isEmpty ? key : "\(current).\(key)", lineNumber)
            }
        }
    }

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

    private mutating func record(_ path: String, _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }

    /// Turns `a.b` of a header into a path, inserting the current index after each prefix
    /// that is an array of tables: `upstream.provider.x` -> `upstream.provider[2].x`.
    private static func resolve(_ components: [String], arrayCounts: [String: Int]) -> String {
        var path = ""
        for (offset, component) in components.enumerated() {
            path = path.isEmpty ? component : "\(path).\(component)"
            if let count = arrayCounts[path], count > 0, offset < components.count - 1 {
                path += "[\(count - 1)]"
            }
        }
        return path
    }

    /// Splits a (possibly dotted, possibly quoted) key into its components.
    private static func keyComponents(_ text: Substring) -> [String] {
        var components: [String] = []
        var currentComponent = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { currentComponent.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "." {
                components.append(currentComponent)
                currentComponent = ""
            } else if character != " " && character != "\t" {
                currentComponent.append(character)
            }
        }
        components.append(currentComponent)
        return components
    }

    /// The first `=` that is not inside a quoted string.
    private static func unquotedEquals(in line: Substring) -> Substring.Index? {
        var quote: Character?
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "=" {
                return index
            } else if character == "#" {
                return nil
            }
            index = line.index(after: index)
        }
        return nil
    }
}
