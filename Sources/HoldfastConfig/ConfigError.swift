// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Why a config file could not be loaded: which file, where, which key, what is wrong.
///
/// `description` is one line, `<file>:<line>: <keyPath>: <problem>`, with the line and key
/// path parts left out when unknown, e.g.
/// `/etc/holdfast/holdfast.toml:12: upstream.timeout_ms: must be at least 1, found 0`.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file's path as given to `load` / `parse`.
    public var file: String
    /// 1-based line in the file, when known.
    public var line: Int?
    /// The key the problem is about, e.g. `upstream.provider[1].servers[0]`, when there is one.
    public var keyPath: String?
    /// What is wrong, in a few words.
    public var problem: String

    public init(file: String, line: Int? = nil, keyPath: String? = nil, problem: String) {
        self.file = file
        self.line = line
        self.keyPath = keyPath
        self.problem = problem
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let keyPath { text += "\(keyPath): " }
        // Keep it on one line whatever the problem text holds.
        text += problem.split(whereSeparator: \.isNewline).joined(separator: " ")
        return text
    }
}
