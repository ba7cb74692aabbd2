// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing

@testable import HoldfastConfig

/// The config's own TOML reader (no Foundation): TOML 1.0 values, structure rules, and every
/// syntax error with its line and column.
@Suite("TOML reader")
struct TOMLDocumentTests {
    private func parse(_ text: String) throws -> TOMLDocument { try TOMLDocument(parsing: text) }

    private func value(_ text: String, _ key: String = "v") throws -> TOMLValue? {
        try parse(text).root[key]
    }

    private func syntaxError(_ text: String) -> TOMLParseError? {
        do {
            _ = try TOMLDocument(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    // MARK: strings

    @Test func basicStringEscapes() throws {
        let text = #"v = "tab\there \"quoted\" back\\slash\nnew \u00E9 \U0001F600 \b\f\r""#
        #expect(try value(text)?.string == "tab\there \"quoted\" back\\slash\nnew \u{E9} \u{1F600} \u{08}\u{0C}\r")
    }

    @Test func literalStringsKeepBackslashes() throws {
        #expect(try value(#"v = 'C:\Users\n "as is"'"#)?.string == #"C:\Users\n "as is""#)
    }

    @Test func multiLineBasicString() throws {
        let text = "v = \"\"\"\nfirst\n  second \\\n     joined\n\"\"\"\nw = 1"
        #expect(try value(text)?.string == "first\n  second joined\n")
        // One or two quotes just before the closing delimiter belong to the text.
        #expect(try value("v = \"\"\"say \"hi\"\"\"\"\"")?.string == "say \"hi\"\"")
        #expect(try value("v = \"\"\"a \\\"\"\" b\"\"\"")?.string == "a \"\"\" b")
    }

    @Test func multiLineLiteralString() throws {
        #expect(try value("v = '''\nno \\escapes\n'here'''")?.string == "no \\escapes\n'here")
    }

    @Test func hashInsideStringIsNotAComment() throws {
        #expect(try value("v = \"a # b\" # comment")?.string == "a # b")
    }

    @Test(arguments: [
        ("v = \"\\q\"", 1, "unknown escape \\\"q\""),
        ("v = \"\\u12\"", 1, "needs 4 hexadecimal digits"),
        ("v = \"\\uD800\"", 1, "not a Unicode scalar value"),
        ("v = \"open\nw = 1", 1, "unterminated string"),
        ("v = 'open", 1, "unterminated string"),
        ("a = 1\nv = \"\"\"never\nclosed", 2, "unterminated multi-line string"),
        ("v = \"bell\u{07}\"", 1, "control character"),
        ("# comment with a bell \u{07}\nv = 1", 1, "control character"),
    ])
    func badStrings(text: String, line: Int, message: String) {
        let error = syntaxError(text)
        #expect(error?.line == line)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    // MARK: numbers, booleans, dates

    @Test(arguments: [
        ("1_000", 1_000), ("+5", 5), ("-7", -7), ("0", 0), ("-0", 0), ("0xDEAD_beef", 0xDEAD_BEEF), ("0o755", 0o755),
        ("0b1010", 10), ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min),
    ])
    func integers(literal: String, expected: Int) throws {
        #expect(try value("v = \(literal)")?.int == expected)
    }

    @Test(arguments: [("1.5", 1.5), ("-2e3", -2000), ("6.02E+2_3", 6.02e23), ("3_1.4_1", 31.41), ("inf", .infinity), ("-inf", -.infinity)])
    func floats(literal: String, expected: Double) throws {
        guard case .float(let number)? = try value("v = \(literal)") else {
            Issue.record("\(literal) is not a float")
            return
        }
        #expect(number == expected)
    }

    @Test func nanAndBooleans() throws {
        guard case .float(let number)? = try value("v = nan") else { Issue.record("nan is not a float"); return }
        #expect(number.isNaN)
        #expect(try value("v = true")?.bool == true)
        #expect(try value("v = false")?.bool == false)
    }

    @Test(arguments: [
        ("1979-05-27T07:32:00Z", "date-time"), ("1979-05-27 07:32:00.999-07:00", "date-time"), ("1979-05-27T00:32:00", "date-time"),
        ("1979-05-27", "date"), ("07:32:00", "time"), ("00:32:00.5", "time"),
    ])
    func datesAndTimesAreRecognised(literal: String, kind: String) throws {
        #expect(try value("v = \(literal) # when")?.typeName == kind)
    }

    @Test(arguments: [
        ("v = 007", "is not a TOML value"), ("v = 1__0", "is not a TOML value"), ("v = _1", "is not a TOML value"),
        ("v = 1.", "is not a TOML value"), ("v = .5", "is not a TOML value"), ("v = +0x10", "is not a TOML value"),
        ("v = 9223372036854775808", "does not fit a 64-bit integer"), ("v = tru", "is not a TOML value"),
        ("v = localhost", "strings need quotes"), ("v = 1979-13-01", "is not a TOML value"),
    ])
    func badScalars(text: String, message: String) {
        let error = syntaxError(text)
        #expect(error?.line == 1)
        #expect(error?.column == 5)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    // MARK: arrays and inline tables

    @Test func multiLineArrayWithCommentsAndTrailingComma() throws {
        let document = try parse("""
            [server]
            listen = [
              "127.0.0.1:53",  # loopback
              # a comment line
              "[::1]:53",
            ]
            threads = 2
            """)
        let listen = document.root["server"]?.table?["listen"]?.array
        #expect(listen.map { (0..<$0.count).compactMap { listen?[$0].string } } == ["127.0.0.1:53", "[::1]:53"])
        #expect(document.lines.line(for: "server.listen") == 2)
        #expect(document.lines.line(for: "server.listen[0]") == 3)
        #expect(document.lines.line(for: "server.listen[1]") == 5)
        #expect(document.lines.line(for: "server.threads") == 7)
    }

    @Test func nestedAndMixedArrays() throws {
        let array = try value("v = [[1, 2], ['a'], [], { x = 1 }]")?.array
        #expect(array?.count == 4)
        #expect(array?[0].array?[1].int == 2)
        #expect(array?[1].array?[0].string == "a")
        #expect(array?[3].table?["x"]?.int == 1)
    }

    @Test func inlineTablesWithDottedKeys() throws {
        let document = try parse("p = { name = \"a\", tls.name = \"dot.test\", servers = [\"127.0.0.1\"] }")
        let table = document.root["p"]?.table
        #expect(table?.keys == ["name", "tls", "servers"])
        #expect(table?["tls"]?.table?["name"]?.string == "dot.test")
        #expect(document.lines.line(for: "p.servers[0]") == 1)
        #expect(try value("v = {}")?.table?.keys == [])
    }

    @Test(arguments: [
        ("v = [1 2]", 1, "expected \",\" or \"]\" in the array"),
        ("v = [1,\n2", 2, "expected \",\" or \"]\" in the array, found the end of the file"),
        ("v = { a = 1, }", 1, "cannot end with a comma"),
        ("v = { a = 1,\n b = 2 }", 1, "expected a key"),
        ("v = { a = 1\n}", 1, "must be on one line"),
        ("v = { a = 1, a = 2 }", 1, "duplicate key v.a"),
        ("v = { a = 1 }\nv.b = 2", 2, "cannot add to v with a dotted key"),
        ("v = { a = 1 }\n[v]", 2, "[v] is defined twice"),
        ("v = { a = { b = 1 } }\n[v.a.c]", 2, "cannot define a table inside v"),
    ])
    func badArraysAndInlineTables(text: String, line: Int, message: String) {
        let error = syntaxError(text)
        #expect(error?.line == line)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    // MARK: keys and tables

    @Test func quotedDottedAndSpacedKeys() throws {
        let document = try parse("""
            "quoted key" = 1
            'literal.key' = 2
            a . b . c = 3
            [ cache . "stale" ]
            enabled = true
            """)
        #expect(document.root.keys == ["quoted key", "literal.key", "a", "cache"])
        #expect(document.root["a"]?.table?["b"]?.table?["c"]?.int == 3)
        #expect(document.root["cache"]?.table?["stale"]?.table?["enabled"]?.bool == true)
        #expect(document.lines.line(for: "a.b.c") == 3)
        #expect(document.lines.line(for: "cache.stale.enabled") == 5)
    }

    @Test func arraysOfTablesCountTheirEntries() throws {
        let document = try parse("""
            [[upstream.provider]]
            name = "a"

            [upstream.provider.extra]
            note = "belongs to provider 0"

            [[upstream.provider]]
            name = "b"
            [upstream]
            timeout_ms = 5
            """)
        let providers = document.root["upstream"]?.table?["provider"]?.array
        #expect(providers?.count == 2)
        #expect(providers?[0].table?["extra"]?.table?["note"]?.string == "belongs to provider 0")
        #expect(providers?[1].table?["name"]?.string == "b")
        #expect(document.root["upstream"]?.table?["timeout_ms"]?.int == 5)
        #expect(document.lines.line(for: "upstream.provider[0].extra.note") == 5)
        #expect(document.lines.line(for: "upstream.provider[1].name") == 8)
        #expect(document.lines.line(for: "upstream.provider[1].servers") == 7)  // the entry's header
    }

    @Test func subTableBeforeItsParentAndDottedSubTables() throws {
        let document = try parse("[a.b]\nx = 1\n[a]\ny = 2\n[fruit]\napple.color = \"red\"\n[fruit.apple.texture]\nsmooth = true")
        #expect(document.root["a"]?.table?.keys == ["b", "y"])
        #expect(document.root["fruit"]?.table?["apple"]?.table?["texture"]?.table?["smooth"]?.bool == true)
    }

    @Test(arguments: [
        ("[server]\nthreads = 2\nthreads = 3", 3, "duplicate key server.threads"),
        ("[a]\nx = 1\n\n[a]", 4, "[a] is defined twice"),
        ("a = 1\n[a]", 2, "[a] is defined twice"),
        ("a.b = 1\n[a]", 2, "[a] is defined twice"),
        ("[a.b]\n[a]\nb = 1", 3, "duplicate key a.b"),
        ("a = []\n[[a]]", 2, "cannot define [[a]]: a is already defined as an array"),
        ("[[a]]\n[a]", 2, "[a] is defined twice"),
        ("[a.b.c]\nz = 9\n[a]\nb.c.t = 1", 4, "cannot add to a.b with a dotted key"),
        ("a = 1\n[a.b]", 2, "cannot define a table inside a"),
        ("[a]\nx = 1 # ok\n[b", 3, "expected \"]\" to close the table header"),
        ("[[a]\nx = 1", 1, "expected \"]]\""),
        ("[a]]", 1, "expected the end of the line"),
        ("= 1", 1, "expected a key"),
        ("key value", 1, "expected \"=\" after the key"),
        ("v = 1 2", 1, "expected the end of the line"),
        ("v =", 1, "expected a value, found the end of the file"),
        ("v = \"\"\"a\"\"\"\"\"\"", 1, "too many quotes"),
        ("\"\"\"k\"\"\" = 1", 1, "a key cannot be a multi-line string"),
        ("a = 1\rb = 2", 1, "carriage return without a line feed"),
    ])
    func structureErrors(text: String, line: Int, message: String) {
        let error = syntaxError(text)
        #expect(error?.line == line, "\(String(describing: error))")
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func linesAreCountedThroughMultiLineValuesAndCRLF() {
        let text = "a = \"\"\"\none\ntwo\"\"\"\r\nb = [\r\n 1,\r\n 2,\r\n]\r\nc = oops\r\n"
        let error = syntaxError(text)
        #expect(error?.line == 8)
        #expect(error?.column == 5)
    }

    @Test func columnsCountCharactersNotBytes() {
        let error = syntaxError("v = \"é\" x")
        #expect(error?.line == 1)
        #expect(error?.column == 9)
    }

    @Test func deepNestingIsAnErrorNotACrash() throws {
        let depth = TOMLParser.maxDepth
        #expect(try value("v = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth))?.array != nil)
        let error = syntaxError("v = " + String(repeating: "[", count: 100_000))
        #expect(error?.message.contains("nested more than \(depth) deep") == true, "\(String(describing: error))")
        #expect(syntaxError("v = " + String(repeating: "{ a = ", count: depth + 1))?.message.contains("nested") == true)
    }

    @Test func byteOrderMarkIsSkipped() throws {
        #expect(try value("\u{FEFF}v = 1")?.int == 1)
    }

    // MARK: through the config decoder

    @Test func configErrorsInMultiLineArraysNameTheElementsLine() {
        let text = """
            [server]
            listen = [
              "127.0.0.1:53",
              "127.0.0.1:99999",
            ]
            [[upstream.provider]]
            name = "loop"
            servers = ["127.0.0.1:5301"]
            """
        #expect {
            _ = try HoldfastConfiguration.parse(text, file: "t.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.keyPath == "server.listen[1]" && error.line == 4 && error.problem.contains("invalid port")
        }
    }

    @Test func configSyntaxErrorsGiveLineAndColumn() {
        #expect(throws: ConfigError(
            file: "t.toml", line: 2,
            problem: "TOML syntax error at line 2, column 13: expected the end of the line, found \"5\"")
        ) {
            _ = try HoldfastConfiguration.parse("[server]\nthreads = 4 5", file: "t.toml")
        }
    }
}
