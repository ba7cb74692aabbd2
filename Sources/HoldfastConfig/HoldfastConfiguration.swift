// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire

/// The whole validated `holdfast.toml`: one value per section, every key resolved to its
/// default when absent. Built only by `parse`/`load`, which reject unknown keys, wrong types
/// and invalid values with a `ConfigError` naming the key.
public struct HoldfastConfiguration: Sendable, Equatable {
    /// `[server]`.
    public var server: ServerSection
    /// `[upstream]` and its `[[upstream.provider]]` entries.
    public var upstream: UpstreamSection
    /// `[[route]]` entries, in the order written.
    public var routes: [RouteSection]
    /// `[cache]` and `[cache.stale]`.
    public var cache: CacheSection
    /// `[resilience]`.
    public var resilience: ResilienceSection
    /// `[[local]]` records, in the order written: names lowercase, TXT data split into
    /// character strings of at most 255 bytes.
    public var local: [DNSRecord]
    /// `[control]`.
    public var control: ControlSection
    /// `[log]`.
    public var log: LogSection

    /// The default config file location.
    public static let defaultPath = "/etc/holdfast/holdfast.toml"

    /// Every section at its defaults. Note: the default has no providers, which `parse`
    /// rejects; add at least one before using it.
    public init(
        server: ServerSection = ServerSection(),
        upstream: UpstreamSection = UpstreamSection(),
        routes: [RouteSection] = [],
        cache: CacheSection = CacheSection(),
        resilience: ResilienceSection = ResilienceSection(),
        local: [DNSRecord] = [],
        control: ControlSection = ControlSection(),
        log: LogSection = LogSection()
    ) {
        self.server = server
        self.upstream = upstream
        self.routes = routes
        self.cache = cache
        self.resilience = resilience
        self.local = local
        self.control = control
        self.log = log
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(ConfigError) -> HoldfastConfiguration {
        let text: String
        do {
            text = try ConfigFile.contents(ofPath: path)
        } catch {
            throw ConfigError(file: path, problem: "cannot read config file: \(error.reason)")
        }
        return try parse(text, file: path)
    }

    /// Parses config text; `file` is only used in error messages.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> HoldfastConfiguration {
        if let nul = text.utf8.firstIndex(of: 0) {
            let line = text.utf8[..<nul].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
            throw ConfigError(file: file, line: line, problem: "contains a NUL byte")
        }
        let document: TOMLDocument
        do {
            document = try TOMLDocument(parsing: text)
        } catch {
            throw ConfigError(
                file: file, line: error.line,
                problem: "TOML syntax error at line \(error.line), column \(error.column): \(error.message)")
        }
        let context = ConfigContext(file: file, lines: document.lines)
        return try ConfigDecoder(context: context).decode(TableReader(table: document.root, path: "", context: context))
    }
}
