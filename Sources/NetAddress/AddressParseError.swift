// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Why a textual address, address:port or prefix could not be parsed.
///
/// `description` is one line that quotes the offending input, e.g.
/// `"localhost:53" is not an IP address literal (hostnames are not accepted)`.
public struct AddressParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The text that failed to parse.
    public var input: String
    /// What is wrong with it, without the input.
    public var problem: String

    public init(input: String, problem: String) {
        self.input = input
        self.problem = problem
    }

    public var description: String { "\"\(input)\" \(problem)" }
}
