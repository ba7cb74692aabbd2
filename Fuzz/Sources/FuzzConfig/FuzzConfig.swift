// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastConfig

/// libFuzzer entry point for the config file reader (Holdfast's own TOML reader and the
/// decoder). Properties checked on every input that is UTF-8, as `ConfigFile` requires:
/// - parsing never crashes, however deep or malformed the text;
/// - a rejection is a `ConfigError` naming the file, on one line, with a line number that
///   exists in the text (1 ... number of lines).
/// A violated property traps (`fatalError`), which libFuzzer records as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start else { return 0 }
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    do {
        _ = try HoldfastConfiguration.parse(text, file: "fuzz.toml")
    } catch {
        let lineCount = bytes.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        if let line = error.line, !(1...lineCount).contains(line) {
            fatalError("property violated: line \(line) outside 1...\(lineCount): \(error)")
        }
        if error.file != "fuzz.toml" || error.problem.isEmpty || error.description.contains("\n") {
            fatalError("property violated: malformed error \(error)")
        }
    }
    return 0
}
