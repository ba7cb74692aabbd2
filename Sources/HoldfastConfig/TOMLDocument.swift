// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A TOML 1.0 reader for the config file: no Foundation, and every key, table header and array
/// element it reads is recorded with its line, so a config error can name where it is.
///
/// Reads the whole of TOML 1.0: bare, quoted and dotted keys; `[table]` and
/// `[[array.of.tables]]` headers; basic and literal strings, single- and multi-line, with every
/// escape; decimal, hexadecimal, octal and binary integers (64-bit); floats (`inf`, `nan`);
/// booleans; arrays across lines with comments and a trailing comma; inline tables. Dates and
/// times are checked for their shape and kept as text (the config has no key that takes one).
/// Duplicate keys and tables defined twice are errors, as TOML requires.
struct TOMLDocument {
    let root: TOMLTable
    /// Lines of the key paths read (`upstream.provider[1].servers[0]`).
    let lines: SourceLineIndex

    init(parsing text: String) throws(TOMLParseError) {
        var parser = TOMLParser(Array(text.utf8))
        try parser.parseDocument()
        root = parser.root
        lines = parser.lines
    }
}

/// A syntax error: 1-based line and column (in characters) and what is wrong.
struct TOMLParseError: Error, Equatable, CustomStringConvertible {
    let line: Int
    let column: Int
    let message: String

    var description: String { "line \(line), column \(column): \(message)" }
}

/// One TOML value.
enum TOMLValue {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    /// An offset or local date-time, a local date or a local time: its kind and its text.
    case dateTime(TOMLDateTimeKind, String)
    case array(TOMLArray)
    case table(TOMLTable)

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var int: Int? { if case .integer(let value) = self { value } else { nil } }
    var bool: Bool? { if case .boolean(let value) = self { value } else { nil } }
    var array: TOMLArray? { if case .array(let value) = self { value } else { nil } }
    var table: TOMLTable? { if case .table(let value) = self { value } else { nil } }

    /// How a config error names the type found.
    var typeName: String {
        switch self {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .dateTime(let kind, _): kind.rawValue
        case .array: "array"
        case .table: "table"
        }
    }
}

enum TOMLDateTimeKind: String {
    case dateTime = "date-time"
    case date
    case time
}

/// An array: values written in brackets, or the tables of `[[name]]` headers.
final class TOMLArray {
    private(set) var elements: [TOMLValue] = []
    /// Made by `[[name]]` headers: only such an array takes more tables from later headers.
    let isArrayOfTables: Bool

    init(isArrayOfTables: Bool) { self.isArrayOfTables = isArrayOfTables }

    var count: Int { elements.count }
    subscript(index: Int) -> TOMLValue { elements[index] }
    func append(_ value: TOMLValue) { elements.append(value) }
}

/// A table: its keys in the order written.
final class TOMLTable {
    /// How the table came to be, which decides what may still add to it (TOML 1.0, "Table").
    enum Origin {
        /// Named only as a prefix of a header (`a` of `[a.b]`): a later `[a]` may define it.
        case implicit
        /// Defined by its own `[header]` (or the document root).
        case header
        /// Made by a dotted key (`a.b = 1` makes `a`): later dotted keys of the same table add to it.
        case dotted
        /// Written inline (`{ ... }`): complete as written.
        case inline
    }

    var origin: Origin
    private(set) var keys: [String] = []
    private var entries: [String: TOMLValue] = [:]

    init(origin: Origin) { self.origin = origin }

    subscript(key: String) -> TOMLValue? { entries[key] }

    func contains(key: String) -> Bool { entries[key] != nil }

    /// False when the key is already there.
    func insert(_ key: String, _ value: TOMLValue) -> Bool {
        guard entries[key] == nil else { return false }
        keys.append(key)
        entries[key] = value
        return true
    }

    /// Marks this table and every table inside it complete (the end of an inline table).
    func freeze() {
        origin = .inline
        for key in keys { entries[key]?.freeze() }
    }
}

extension TOMLValue {
    fileprivate func freeze() {
        switch self {
        case .table(let table): table.freeze()
        case .array(let array): for element in array.elements { element.freeze() }
        default: break
        }
    }
}

// MARK: - Parser

private extension UInt8 {
    static let tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
    static let space = UInt8(ascii: " "), numberSign = UInt8(ascii: "#"), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
    static let backslash = UInt8(ascii: "\\"), equals = UInt8(ascii: "="), dot = UInt8(ascii: "."), comma = UInt8(ascii: ",")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    static let underscore = UInt8(ascii: "_"), plus = UInt8(ascii: "+"), minus = UInt8(ascii: "-"), colon = UInt8(ascii: ":")

    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
    var isHexDigit: Bool {
        isDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
    var isBareKey: Bool {
        isDigit || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "z")) || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z"))
            || self == .underscore || self == .minus
    }
    /// Control characters TOML allows in neither strings nor comments (tab is allowed).
    var isForbiddenControl: Bool { (self < 0x20 && self != .tab) || self == 0x7F }
}

struct TOMLParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    let root = TOMLTable(origin: .header)
    private(set) var lines = SourceLineIndex()
    /// The table that `key = value` lines go to, and its key path.
    private var current: TOMLTable
    private var currentPath = ""
    /// Arrays and inline tables open around the value being read.
    private var depth = 0
    /// Deeper nesting is an error rather than a stack overflow (a reload must never crash).
    static let maxDepth = 100

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        current = root
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }  // a UTF-8 byte order mark
    }

    // MARK: document structure

    mutating func parseDocument() throws(TOMLParseError) {
        while true {
            skipSpaces()
            guard let byte = peek() else { return }
            switch byte {
            case .numberSign, .newline, .carriageReturn:
                break
            case .openBracket:
                try parseTableHeader()
            default:
                try parseKeyValue(into: current, path: currentPath)
            }
            try expectEndOfLine()
        }
    }

    /// Spaces, then an optional comment, then a newline or the end.
    private mutating func expectEndOfLine() throws(TOMLParseError) {
        skipSpaces()
        if peek() == .numberSign { try skipComment() }
        guard let byte = peek() else { return }
        guard try consumeNewline() else {
            throw error("expected the end of the line, found \(Self.describe(byte))")
        }
    }

    private mutating func parseTableHeader() throws(TOMLParseError) {
        let headerLine = line
        index += 1
        let isArray = peek() == .openBracket
        if isArray { index += 1 }
        let key = try parseKey()
        guard peek() == .closeBracket else { throw error("expected \"]\" to close the table header") }
        index += 1
        if isArray {
            guard peek() == .closeBracket else { throw error("expected \"]]\" to close the array of tables header") }
            index += 1
        }
        var table = root
        var path = ""
        for (position, component) in key.enumerated() {
            path = Self.join(path, component)
            let isLast = position == key.count - 1
            let existing = table[component]
            if !isLast {
                switch existing {
                case nil:
                    let child = TOMLTable(origin: .implicit)
                    _ = table.insert(component, .table(child))
                    table = child
                case .table(let child) where child.origin != .inline:
                    table = child
                case .array(let array) where array.isArrayOfTables:
                    guard let last = array[array.count - 1].table else { throw error("\(path) is not a table", line: headerLine) }
                    path += "[\(array.count - 1)]"
                    table = last
                default:
                    throw error("cannot define a table inside \(path): it is already \(Self.withArticle(existing?.typeName ?? "value")) that cannot take keys", line: headerLine)
                }
            } else if isArray {
                let array: TOMLArray
                switch existing {
                case nil:
                    array = TOMLArray(isArrayOfTables: true)
                    _ = table.insert(component, .array(array))
                case .array(let tables) where tables.isArrayOfTables:
                    array = tables
                default:
                    throw error("cannot define [[\(path)]]: \(path) is already defined as \(Self.withArticle(existing?.typeName ?? "value"))", line: headerLine)
                }
                let element = TOMLTable(origin: .header)
                array.append(.table(element))
                path += "[\(array.count - 1)]"
                table = element
            } else {
                switch existing {
                case nil:
                    let child = TOMLTable(origin: .header)
                    _ = table.insert(component, .table(child))
                    table = child
                case .table(let child) where child.origin == .implicit:
                    child.origin = .header
                    table = child
                default:
                    throw error("[\(path)] is defined twice", line: headerLine)
                }
            }
        }
        lines.record(path, headerLine)
        current = table
        currentPath = path
    }

    /// `key = value` (the key possibly dotted) into `table`.
    private mutating func parseKeyValue(into table: TOMLTable, path: String) throws(TOMLParseError) {
        let keyLine = line
        let key = try parseKey()
        guard peek() == .equals else {
            throw error(peek().map { "expected \"=\" after the key, found \(Self.describe($0))" } ?? "expected \"=\" after the key")
        }
        index += 1
        skipSpaces()
        var target = table
        var targetPath = path
        for component in key.dropLast() {
            targetPath = Self.join(targetPath, component)
            switch target[component] {
            case nil:
                let child = TOMLTable(origin: .dotted)
                _ = target.insert(component, .table(child))
                target = child
            case .table(let child) where child.origin == .dotted:
                target = child
            default:
                throw error("cannot add to \(targetPath) with a dotted key: it is already defined", line: keyLine)
            }
        }
        guard let last = key.last else { throw error("expected a key", line: keyLine) }
        let valuePath = Self.join(targetPath, last)
        if target.contains(key: last) { throw error("duplicate key \(valuePath)", line: keyLine) }
        let value = try parseValue(path: valuePath)
        _ = target.insert(last, value)
        lines.record(valuePath, keyLine)
    }

    /// A key: bare or quoted components separated by dots, with spaces around each.
    private mutating func parseKey() throws(TOMLParseError) -> [String] {
        var components: [String] = []
        while true {
            skipSpaces()
            guard let byte = peek() else { throw error("expected a key, found the end of the file") }
            if byte == .quote {
                if peek(1) == .quote && peek(2) == .quote { throw error("a key cannot be a multi-line string") }
                components.append(try parseBasicString())
            } else if byte == .apostrophe {
                if peek(1) == .apostrophe && peek(2) == .apostrophe { throw error("a key cannot be a multi-line string") }
                components.append(try parseLiteralString())
            } else if byte.isBareKey {
                let start = index
                while let next = peek(), next.isBareKey { index += 1 }
                components.append(String(decoding: bytes[start..<index], as: UTF8.self))
            } else {
                throw error("expected a key, found \(Self.describe(byte))")
            }
            skipSpaces()
            guard peek() == .dot else { return components }
            index += 1
        }
    }

    // MARK: values

    private mutating func parseValue(path: String) throws(TOMLParseError) -> TOMLValue {
        guard let byte = peek() else { throw error("expected a value, found the end of the file") }
        switch byte {
        case .quote:
            if peek(1) == .quote && peek(2) == .quote { return .string(try parseMultiLineBasicString()) }
            return .string(try parseBasicString())
        case .apostrophe:
            if peek(1) == .apostrophe && peek(2) == .apostrophe { return .string(try parseMultiLineLiteralString()) }
            return .string(try parseLiteralString())
        case .openBracket, .openBrace:
            guard depth < Self.maxDepth else { throw error("arrays and inline tables nested more than \(Self.maxDepth) deep") }
            depth += 1
            defer { depth -= 1 }
            return byte == .openBracket ? .array(try parseArray(path: path)) : .table(try parseInlineTable(path: path))
        default:
            return try parseScalar()
        }
    }

    private mutating func parseArray(path: String) throws(TOMLParseError) -> TOMLArray {
        let array = TOMLArray(isArrayOfTables: false)
        index += 1
        while true {
            try skipSpacesNewlinesAndComments()
            if peek() == .closeBracket { index += 1; return array }
            let elementPath = "\(path)[\(array.count)]"
            lines.record(elementPath, line)
            array.append(try parseValue(path: elementPath))
            try skipSpacesNewlinesAndComments()
            guard let next = peek() else { throw error("expected \",\" or \"]\" in the array, found the end of the file") }
            switch next {
            case .comma: index += 1
            case .closeBracket: index += 1; return array
            default: throw error("expected \",\" or \"]\" in the array, found \(Self.describe(next))")
            }
        }
    }

    private mutating func parseInlineTable(path: String) throws(TOMLParseError) -> TOMLTable {
        let table = TOMLTable(origin: .dotted)
        index += 1
        skipSpaces()
        if peek() == .closeBrace {
            index += 1
            table.freeze()
            return table
        }
        while true {
            try parseKeyValue(into: table, path: path)
            skipSpaces()
            guard let next = peek() else { throw error("expected \",\" or \"}\" in the inline table, found the end of the file") }
            switch next {
            case .comma:
                index += 1
                skipSpaces()
                if peek() == .closeBrace { throw error("an inline table cannot end with a comma") }
            case .closeBrace:
                index += 1
                table.freeze()
                return table
            case .newline, .carriageReturn:
                throw error("an inline table must be on one line")
            default:
                throw error("expected \",\" or \"}\" in the inline table, found \(Self.describe(next))")
            }
        }
    }

    /// A boolean, a number or a date/time: the bytes up to the next delimiter.
    private mutating func parseScalar() throws(TOMLParseError) -> TOMLValue {
        let start = index
        while let byte = peek(), byte.isBareKey || byte == .plus || byte == .dot || byte == .colon { index += 1 }
        // A date and a time may be separated by one space ("1979-05-27 07:32:00Z").
        if TOMLScalar.isDate(bytes[start..<index]), peek() == .space, peek(1)?.isDigit == true, peek(2)?.isDigit == true,
           peek(3) == .colon {
            index += 1
            while let byte = peek(), byte.isBareKey || byte == .plus || byte == .dot || byte == .colon { index += 1 }
        }
        let token = bytes[start..<index]
        guard !token.isEmpty else {
            throw error("expected a value, found \(peek().map(Self.describe) ?? "the end of the file")")
        }
        if let value = TOMLScalar.value(token) { return value }
        if TOMLScalar.isIntegerSyntax(token) {
            throw error("\(String(decoding: token, as: UTF8.self)) does not fit a 64-bit integer", column: start)
        }
        throw error("\"\(String(decoding: token, as: UTF8.self))\" is not a TOML value (strings need quotes)", column: start)
    }

    // MARK: strings

    private mutating func parseBasicString() throws(TOMLParseError) -> String {
        index += 1
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated string") }
            switch byte {
            case .quote:
                index += 1
                return String(decoding: text, as: UTF8.self)
            case .backslash:
                try parseEscape(into: &text)
            case .newline, .carriageReturn:
                throw error("unterminated string (a basic string ends on its line; use \"\"\" for several lines)")
            default:
                guard !byte.isForbiddenControl else { throw error("control character \(Self.describe(byte)) in a string") }
                text.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLParseError) -> String {
        index += 1
        let start = index
        while true {
            guard let byte = peek() else { throw error("unterminated string") }
            if byte == .apostrophe {
                index += 1
                return String(decoding: bytes[start..<(index - 1)], as: UTF8.self)
            }
            if byte == .newline || byte == .carriageReturn { throw error("unterminated string") }
            guard !byte.isForbiddenControl else { throw error("control character \(Self.describe(byte)) in a string") }
            index += 1
        }
    }

    private mutating func parseMultiLineBasicString() throws(TOMLParseError) -> String {
        let openingLine = line
        index += 3
        _ = try consumeNewline()  // a newline right after the opening quotes is trimmed
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated multi-line string", line: openingLine) }
            switch byte {
            case .quote:
                if try closeMultiLine(.quote, into: &text) { return String(decoding: text, as: UTF8.self) }
            case .backslash:
                // A backslash at the end of a line trims it and the whitespace that follows.
                var look = index + 1
                while look < bytes.count, bytes[look] == .space || bytes[look] == .tab { look += 1 }
                if look < bytes.count, bytes[look] == .newline || bytes[look] == .carriageReturn {
                    index = look
                    try skipWhitespaceAndNewlines()
                } else {
                    try parseEscape(into: &text)
                }
            case .newline, .carriageReturn:
                _ = try consumeNewline()
                text.append(.newline)
            default:
                guard !byte.isForbiddenControl else { throw error("control character \(Self.describe(byte)) in a string") }
                text.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseMultiLineLiteralString() throws(TOMLParseError) -> String {
        let openingLine = line
        index += 3
        _ = try consumeNewline()
        var text: [UInt8] = []
        while true {
            guard let byte = peek() else { throw error("unterminated multi-line string", line: openingLine) }
            switch byte {
            case .apostrophe:
                if try closeMultiLine(.apostrophe, into: &text) { return String(decoding: text, as: UTF8.self) }
            case .newline, .carriageReturn:
                _ = try consumeNewline()
                text.append(.newline)
            default:
                guard !byte.isForbiddenControl else { throw error("control character \(Self.describe(byte)) in a string") }
                text.append(byte)
                index += 1
            }
        }
    }

    /// At a run of `delimiter`s in a multi-line string: three close it (one or two more before
    /// them belong to the text), fewer are text. True when the string is closed.
    private mutating func closeMultiLine(_ delimiter: UInt8, into text: inout [UInt8]) throws(TOMLParseError) -> Bool {
        var run = 0
        while peek() == delimiter { run += 1; index += 1 }
        if run < 3 {
            text.append(contentsOf: repeatElement(delimiter, count: run))
            return false
        }
        guard run <= 5 else { throw error("too many quotes closing a multi-line string") }
        text.append(contentsOf: repeatElement(delimiter, count: run - 3))
        return true
    }

    private mutating func parseEscape(into text: inout [UInt8]) throws(TOMLParseError) {
        index += 1
        guard let code = peek() else { throw error("unterminated string") }
        index += 1
        switch code {
        case UInt8(ascii: "b"): text.append(0x08)
        case UInt8(ascii: "t"): text.append(.tab)
        case UInt8(ascii: "n"): text.append(.newline)
        case UInt8(ascii: "f"): text.append(0x0C)
        case UInt8(ascii: "r"): text.append(.carriageReturn)
        case .quote: text.append(.quote)
        case .backslash: text.append(.backslash)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let digits = code == UInt8(ascii: "u") ? 4 : 8
            var scalar: UInt32 = 0
            for _ in 0..<digits {
                guard let digit = peek(), digit.isHexDigit else {
                    throw error("\\\(Character(Unicode.Scalar(code))) needs \(digits) hexadecimal digits")
                }
                scalar = scalar << 4 | UInt32(Self.hexValue(digit))
                index += 1
            }
            guard let unicode = Unicode.Scalar(scalar) else {
                throw error("\\\(Character(Unicode.Scalar(code))) escape is not a Unicode scalar value")
            }
            text.append(contentsOf: Array(String(Character(unicode)).utf8))
        default:
            index -= 1
            throw error("unknown escape \\\(Self.describe(code))")
        }
    }

    // MARK: whitespace, comments, newlines

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func skipSpaces() {
        while let byte = peek(), byte == .space || byte == .tab { index += 1 }
    }

    /// A newline (`\n` or `\r\n`) if one is next; a lone `\r` is an error.
    private mutating func consumeNewline() throws(TOMLParseError) -> Bool {
        if peek() == .carriageReturn {
            guard peek(1) == .newline else { throw error("carriage return without a line feed") }
            index += 1
        }
        guard peek() == .newline else { return false }
        index += 1
        line += 1
        lineStart = index
        return true
    }

    private mutating func skipComment() throws(TOMLParseError) {
        while let byte = peek(), byte != .newline {
            if byte == .carriageReturn && peek(1) == .newline { return }
            guard !byte.isForbiddenControl else { throw error("control character \(Self.describe(byte)) in a comment") }
            index += 1
        }
    }

    private mutating func skipWhitespaceAndNewlines() throws(TOMLParseError) {
        while true {
            skipSpaces()
            guard try consumeNewline() else { return }
        }
    }

    private mutating func skipSpacesNewlinesAndComments() throws(TOMLParseError) {
        while true {
            skipSpaces()
            if peek() == .numberSign { try skipComment() }
            guard try consumeNewline() else { return }
        }
    }

    // MARK: helpers

    private static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    private static func withArticle(_ noun: String) -> String {
        (noun.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + noun
    }

    private static func hexValue(_ digit: UInt8) -> UInt8 {
        if digit.isDigit { return digit - UInt8(ascii: "0") }
        return (digit | 0x20) - UInt8(ascii: "a") + 10
    }

    private static func describe(_ byte: UInt8) -> String {
        switch byte {
        case .newline: return "a line break"
        case 0x20...0x7E: return "\"\(Character(Unicode.Scalar(byte)))\""
        default: return "byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }

    private func error(_ message: String, line errorLine: Int? = nil, column position: Int? = nil) -> TOMLParseError {
        if let errorLine, errorLine != line {
            return TOMLParseError(line: errorLine, column: 1, message: message)
        }
        let end = min(position ?? index, bytes.count)
        // Characters, not bytes: UTF-8 continuation bytes do not start one.
        let column = bytes[lineStart..<max(lineStart, end)].reduce(1) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return TOMLParseError(line: errorLine ?? line, column: column, message: message)
    }
}

// MARK: - Scalars

/// Booleans, numbers and dates from one unquoted token.
enum TOMLScalar {
    static func value(_ token: ArraySlice<UInt8>) -> TOMLValue? {
        let text = String(decoding: token, as: UTF8.self)
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if let kind = dateTimeKind(token) { return .dateTime(kind, text) }
        if let integer = integer(token) { return .integer(integer) }
        if isFloat(token), let float = Double(String(decoding: token.filter { $0 != .underscore }, as: UTF8.self)) {
            return .float(float)
        }
        return nil
    }

    /// Decimal (`+1_000`, no leading zeros), `0x`, `0o` and `0b` integers that fit 64 bits.
    static func integer(_ token: ArraySlice<UInt8>) -> Int? {
        var digits = token
        if token.count > 2, token.first == UInt8(ascii: "0") {
            let radix: Int
            switch token[token.startIndex + 1] {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: radix = 0
            }
            if radix != 0 {
                digits = token.dropFirst(2)
                guard isDigitRun(digits, radix: radix) else { return nil }
                return Int(String(decoding: digits.filter { $0 != .underscore }, as: UTF8.self), radix: radix)
            }
        }
        var negative = false
        if let sign = digits.first, sign == .plus || sign == .minus {
            negative = sign == .minus
            digits = digits.dropFirst()
        }
        guard isDigitRun(digits, radix: 10), !hasLeadingZero(digits) else { return nil }
        let text = (negative ? "-" : "") + String(decoding: digits.filter { $0 != .underscore }, as: UTF8.self)
        return Int(text)
    }

    /// Written as an integer, whether or not it fits.
    static func isIntegerSyntax(_ token: ArraySlice<UInt8>) -> Bool {
        if token.count > 2, token.first == UInt8(ascii: "0"), token[token.startIndex + 1] == UInt8(ascii: "x") {
            return isDigitRun(token.dropFirst(2), radix: 16)
        }
        var digits = token
        if let sign = digits.first, sign == .plus || sign == .minus { digits = digits.dropFirst() }
        return isDigitRun(digits, radix: 10) && !hasLeadingZero(digits)
    }

    /// `[+-]int(.digits)?([eE][+-]?digits)?` with a fraction or an exponent.
    static func isFloat(_ token: ArraySlice<UInt8>) -> Bool {
        var rest = token
        if let sign = rest.first, sign == .plus || sign == .minus { rest = rest.dropFirst() }
        let exponentAt = rest.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = rest[..<(exponentAt ?? rest.endIndex)]
        let dot = mantissa.firstIndex(of: .dot)
        let whole = mantissa[..<(dot ?? mantissa.endIndex)]
        guard isDigitRun(whole, radix: 10), !hasLeadingZero(whole) else { return false }
        if let dot {
            guard isDigitRun(mantissa[(dot + 1)...], radix: 10) else { return false }
        }
        if let exponentAt {
            var exponent = rest[(exponentAt + 1)...]
            if let sign = exponent.first, sign == .plus || sign == .minus { exponent = exponent.dropFirst() }
            guard isDigitRun(exponent, radix: 10) else { return false }
        }
        return dot != nil || exponentAt != nil
    }

    /// Digits of `radix`, with single underscores only between digits.
    static func isDigitRun(_ digits: ArraySlice<UInt8>, radix: Int) -> Bool {
        guard let first = digits.first, let last = digits.last, first != .underscore, last != .underscore else { return false }
        var previousUnderscore = false
        for byte in digits {
            if byte == .underscore {
                if previousUnderscore { return false }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            let valid: Bool
            switch radix {
            case 16: valid = byte.isHexDigit
            case 8: valid = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7")
            case 2: valid = byte == UInt8(ascii: "0") || byte == UInt8(ascii: "1")
            default: valid = byte.isDigit
            }
            if !valid { return false }
        }
        return true
    }

    private static func hasLeadingZero(_ digits: ArraySlice<UInt8>) -> Bool {
        digits.count > 1 && digits.first == UInt8(ascii: "0")
    }

    // MARK: dates and times (RFC 3339 as TOML 1.0 writes them)

    static func dateTimeKind(_ token: ArraySlice<UInt8>) -> TOMLDateTimeKind? {
        if isTime(token) { return .time }
        guard token.count >= 10 else { return nil }
        let date = token.prefix(10)
        guard isDate(date) else { return nil }
        if token.count == 10 { return .date }
        let separator = token[token.startIndex + 10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: "t") || separator == .space else { return nil }
        var time = token.dropFirst(11)
        if let last = time.last, last == UInt8(ascii: "Z") || last == UInt8(ascii: "z") {
            time = time.dropLast()
        } else if time.count > 6 {
            let offset = time.suffix(6)
            let sign = offset[offset.startIndex]
            if (sign == .plus || sign == .minus) && isDigits(offset.dropFirst().prefix(2)) && offset[offset.startIndex + 3] == .colon
                && isDigits(offset.suffix(2)) {
                time = time.dropLast(6)
            }
        }
        return isTime(time) ? .dateTime : nil
    }

    /// `YYYY-MM-DD`.
    static func isDate(_ token: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(token)
        guard bytes.count == 10, bytes[4] == .minus, bytes[7] == .minus,
              isDigits(token.prefix(4)), isDigits(token.dropFirst(5).prefix(2)), isDigits(token.suffix(2))
        else { return false }
        let month = Int(bytes[5] - 48) * 10 + Int(bytes[6] - 48)
        let day = Int(bytes[8] - 48) * 10 + Int(bytes[9] - 48)
        return (1...12).contains(month) && (1...31).contains(day)
    }

    /// `HH:MM:SS` with an optional fraction.
    static func isTime(_ token: ArraySlice<UInt8>) -> Bool {
        let bytes = Array(token)
        guard bytes.count >= 8, bytes[2] == .colon, bytes[5] == .colon,
              isDigits(token.prefix(2)), isDigits(token.dropFirst(3).prefix(2)), isDigits(token.dropFirst(6).prefix(2))
        else { return false }
        let hour = Int(bytes[0] - 48) * 10 + Int(bytes[1] - 48)
        let minute = Int(bytes[3] - 48) * 10 + Int(bytes[4] - 48)
        let second = Int(bytes[6] - 48) * 10 + Int(bytes[7] - 48)
        guard hour < 24, minute < 60, second <= 60 else { return false }
        if bytes.count == 8 { return true }
        return bytes[8] == .dot && bytes.count > 9 && isDigits(token.dropFirst(9))
    }

    private static func isDigits(_ bytes: ArraySlice<UInt8>) -> Bool {
        !bytes.isEmpty && bytes.allSatisfy(\.isDigit)
    }
}
