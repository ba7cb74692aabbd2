// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import HoldfastConfig
import Testing

@Suite("Config errors name the key")
struct ConfigErrorTests {
    /// A provider so that configs under test are otherwise valid. Appended after the case's
    /// text so the case's line numbers are unaffected.
    static let provider = """

        [[upstream.provider]]
        name = "loop"
        servers = ["127.0.0.1:5301"]
        """

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var toml: String
        var keyPath: String?
        var line: Int?
        var problem: String
        var addProvider = true
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        .init(name: "unknown top-level key", toml: "servr = 1", keyPath: "servr", line: 1,
              problem: "unknown key (did you mean \"server\"?)"),
        .init(name: "unknown section key", toml: "[server]\nthreads = 2\nthreds = 2", keyPath: "server.threds", line: 3,
              problem: "unknown key"),
        .init(name: "unknown nested section key", toml: "[cache.stale]\nenable = true", keyPath: "cache.stale.enable", line: 2,
              problem: "did you mean \"enabled\""),
        .init(name: "unknown provider key",
              toml: "[[upstream.provider]]\nname = \"a\"\nservers = [\"127.0.0.1:53\"]\n\n[[upstream.provider]]\nname = \"b\"\nserver = [\"127.0.0.2:53\"]",
              keyPath: "upstream.provider[1].server", line: 7, problem: "unknown key", addProvider: false),
        .init(name: "unknown key far from others lists valid keys", toml: "[log]\nverbosity = 3", keyPath: "log.verbosity", line: 2,
              problem: "valid keys in [log]: queries"),
        .init(name: "failure cache max below its TTL", toml: "[cache]\nfailure_ttl_s = 10\nfailure_max_ttl_s = 5",
              keyPath: "cache.failure_max_ttl_s", line: 3, problem: "must not be below failure_ttl_s (5 < 10)"),
        .init(name: "negative failure TTL", toml: "[cache]\nfailure_ttl_s = -1", keyPath: "cache.failure_ttl_s", line: 2,
              problem: "0"),
        .init(name: "string for integer", toml: "[upstream]\ntimeout_ms = \"1000\"", keyPath: "upstream.timeout_ms", line: 2,
              problem: "expected integer, found string"),
        .init(name: "float for integer", toml: "[server]\nthreads = 1.5", keyPath: "server.threads", line: 2,
              problem: "expected integer, found float"),
        .init(name: "integer for boolean", toml: "[cache]\nprefetch = 1", keyPath: "cache.prefetch", line: 2,
              problem: "expected boolean"),
        .init(name: "string for array", toml: "[server]\nlisten = \"127.0.0.1:53\"", keyPath: "server.listen", line: 2,
              problem: "expected array of strings, found string"),
        .init(name: "integer in string array", toml: "[server]\nallow = [\"127.0.0.1\", 5]", keyPath: "server.allow[1]", line: 2,
              problem: "expected string, found integer"),
        .init(name: "value for section", toml: "cache = 5", keyPath: "cache", line: 1, problem: "expected table, found integer"),
        .init(name: "single table for array of tables", toml: "[upstream.provider]\nname = \"a\"\nservers = [\"127.0.0.1:53\"]",
              keyPath: "upstream.provider", line: 1, problem: "expected array of tables", addProvider: false),
        .init(name: "syntax error", toml: "[server]\nthreads = 2\nlisten = [\"127.0.0.1:53\"\n[cache]", keyPath: nil, line: 4,
              problem: "TOML syntax error"),
        .init(name: "syntax error: duplicate key", toml: "[server]\nthreads = 2\nthreads = 3", keyPath: nil, line: 3,
              problem: "TOML syntax error"),
        .init(name: "hostname as server",
              toml: "[[upstream.provider]]\nname = \"a\"\nservers = [\"127.0.0.1:53\"]\n[[upstream.provider]]\nname = \"b\"\nservers = [\"localhost:53\"]",
              keyPath: "upstream.provider[1].servers[0]", line: 6, problem: "hostnames are not accepted", addProvider: false),
        .init(name: "server port 0", toml: "[[upstream.provider]]\nname = \"a\"\nservers = [\"127.0.0.1:0\"]",
              keyPath: "upstream.provider[0].servers[0]", line: 3, problem: "port 0", addProvider: false),
        .init(name: "server twice in one provider",
              toml: "[[upstream.provider]]\nname = \"a\"\nservers = [\"127.0.0.1:53\", \"127.0.0.1\"]",
              keyPath: "upstream.provider[0].servers[1]", line: 3, problem: "listed twice (also at upstream.provider[0].servers[0])",
              addProvider: false),
        .init(name: "bad listen port", toml: "[server]\nlisten = [\"127.0.0.1:99999\"]", keyPath: "server.listen[0]", line: 2,
              problem: "invalid port"),
        .init(name: "duplicate listen", toml: "[server]\nlisten = [\"127.0.0.1:53\", \"127.0.0.1\"]", keyPath: "server.listen[1]", line: 2,
              problem: "listed twice"),
        .init(name: "empty listen", toml: "[server]\nlisten = []", keyPath: "server.listen", line: 2, problem: "at least one"),
        .init(name: "bad allow prefix", toml: "[server]\nallow = [\"127.0.0.0/40\"]", keyPath: "server.allow[0]", line: 2,
              problem: "more than 32"),
        .init(name: "empty allow", toml: "[server]\nallow = []", keyPath: "server.allow", line: 2, problem: "every client would be refused"),
        .init(name: "bad policy", toml: "[upstream]\npolicy = \"random\"", keyPath: "upstream.policy", line: 2,
              problem: "expected one of failover, fastest, race"),
        .init(name: "zero timeout", toml: "[upstream]\ntimeout_ms = 0", keyPath: "upstream.timeout_ms", line: 2,
              problem: "must be at least 1, found 0"),
        .init(name: "negative threads", toml: "[server]\nthreads = -1", keyPath: "server.threads", line: 2, problem: "at least 0"),
        .init(name: "zero failure threshold", toml: "[upstream]\nfailure_threshold = 0", keyPath: "upstream.failure_threshold", line: 2,
              problem: "at least 1"),
        .init(name: "zero max entries", toml: "[cache]\nmax_entries = 0", keyPath: "cache.max_entries", line: 2, problem: "at least 1"),
        .init(name: "min ttl above max ttl", toml: "[cache]\nmin_ttl_s = 600\nmax_ttl_s = 60", keyPath: "cache.min_ttl_s", line: 2,
              problem: "must not exceed max_ttl_s"),
        .init(name: "no upstream section", toml: "", keyPath: "upstream.provider", line: nil,
              problem: "at least one provider is required", addProvider: false),
        .init(name: "no providers", toml: "[upstream]\npolicy = \"race\"", keyPath: "upstream.provider", line: 1,
              problem: "at least one provider is required", addProvider: false),
        .init(name: "provider without servers", toml: "[[upstream.provider]]\nname = \"a\"", keyPath: "upstream.provider[0].servers",
              line: 1, problem: "is required", addProvider: false),
        .init(name: "duplicate provider name",
              toml: "[[upstream.provider]]\nname = \"a\"\nservers = [\"127.0.0.1:53\"]\n[[upstream.provider]]\nname = \"a\"\nservers = [\"127.0.0.2:53\"]",
              keyPath: "upstream.provider[1].name", line: 5, problem: "defined twice", addProvider: false),
        .init(name: "empty provider name", toml: "[[upstream.provider]]\nname = \"\"\nservers = [\"127.0.0.1:53\"]",
              keyPath: "upstream.provider[0].name", line: 2, problem: "must not be empty", addProvider: false),
        .init(name: "unknown provider in route", toml: "[[route]]\ndomains = [\"corp.example\"]\nproviders = [\"corp\"]",
              keyPath: "route[0].providers[0]", line: 3, problem: "unknown provider \"corp\" (defined: loop)"),
        .init(name: "route without domains", toml: "[[route]]\ndomains = []\nproviders = [\"loop\"]",
              keyPath: "route[0].domains", line: 2, problem: "at least one domain"),
        .init(name: "route with wildcard domain", toml: "[[route]]\ndomains = [\"*.corp.example\"]\nproviders = [\"loop\"]",
              keyPath: "route[0].domains[0]", line: 2, problem: "without \"*.\""),
        .init(name: "every provider routed", toml: "[[route]]\ndomains = [\"corp.example\"]\nproviders = [\"loop\"]",
              keyPath: "route", line: nil, problem: "none is left"),
        .init(name: "unknown local type", toml: "[[local]]\nname = \"a.lan\"\ntype = \"SRV\"\ndata = \"x\"",
              keyPath: "local[0].type", line: 3, problem: "unknown record type \"SRV\""),
        .init(name: "IPv6 data for A", toml: "[[local]]\nname = \"a.lan\"\ntype = \"A\"\ndata = \"::1\"",
              keyPath: "local[0].data", line: 4, problem: "needs IPv4"),
        .init(name: "hostname data for AAAA", toml: "[[local]]\nname = \"a.lan\"\ntype = \"AAAA\"\ndata = \"b.lan\"",
              keyPath: "local[0].data", line: 4, problem: "expected an IPv6 address"),
        .init(name: "bad MX data", toml: "[[local]]\nname = \"a.lan\"\ntype = \"MX\"\ndata = \"mail.lan\"",
              keyPath: "local[0].data", line: 4, problem: "expected \"<preference 0-65535> <name>\""),
        .init(name: "bad CNAME target", toml: "[[local]]\nname = \"a.lan\"\ntype = \"CNAME\"\ndata = \"b..lan\"",
              keyPath: "local[0].data", line: 4, problem: "empty label"),
        .init(name: "local without data", toml: "[[local]]\nname = \"a.lan\"\ntype = \"A\"",
              keyPath: "local[0].data", line: 1, problem: "is required"),
        .init(name: "CNAME beside other data",
              toml: "[[local]]\nname = \"a.lan\"\ntype = \"A\"\ndata = \"127.0.0.1\"\n[[local]]\nname = \"A.lan.\"\ntype = \"cname\"\ndata = \"b.lan\"",
              keyPath: "local[1].type", line: 7, problem: "a CNAME must be its only record"),
        .init(name: "empty last_known_good entry", toml: "[resilience]\nlast_known_good = [\"ok.example\", \"\"]",
              keyPath: "resilience.last_known_good[1]", line: 2, problem: "must not be empty"),
        .init(name: "inner wildcard in last_known_good", toml: "[resilience]\nlast_known_good = [\"a.*.example\"]",
              keyPath: "resilience.last_known_good[0]", line: 2, problem: "only as a leading"),
        .init(name: "metrics_listen without port", toml: "[control]\nmetrics_listen = \"127.0.0.1\"",
              keyPath: "control.metrics_listen", line: 2, problem: "has no port"),
        .init(name: "empty control socket", toml: "[control]\nsocket = \"\"", keyPath: "control.socket", line: 2,
              problem: "must not be empty"),
        .init(name: "unknown transport", toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"quic\"\nservers = [\"127.0.0.1\"]",
              keyPath: "upstream.provider[0].transport", line: 3, problem: "expected one of dns, tcp, tls, https"),
        .init(name: "TLS key on a tcp provider",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tcp\"\nservers = [\"127.0.0.1\"]\ntls_verify = false",
              keyPath: "upstream.provider[0].tls_verify", line: 5, problem: "this provider uses plain DNS over TCP"),
        .init(name: "https_path on a tcp provider",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tcp\"\nservers = [\"127.0.0.1\"]\nhttps_path = \"/q\"",
              keyPath: "upstream.provider[0].https_path", line: 5, problem: "applies only to transport = \"tls\" or \"https\""),
        .init(name: "max_in_flight zero", toml: "[upstream]\nmax_in_flight = 0",
              keyPath: "upstream.max_in_flight", line: 2, problem: "at least 1"),
        .init(name: "tls without tls_name", toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tls\"\nservers = [\"127.0.0.1\"]",
              keyPath: "upstream.provider[0].tls_name", line: 1, problem: "is required with transport = \"tls\""),
        .init(name: "tls_name that is no host name",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tls\"\nservers = [\"127.0.0.1\"]\ntls_name = \"a..b\"",
              keyPath: "upstream.provider[0].tls_name", line: 5, problem: "is not a host name"),
        .init(name: "pin that is not base64",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tls\"\nservers = [\"127.0.0.1\"]\ntls_name = \"dot.test\"\ntls_pins = [\"not a pin\"]",
              keyPath: "upstream.provider[0].tls_pins[0]", line: 6, problem: "is not a base64 SHA-256 digest"),
        .init(name: "pin of the wrong length",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tls\"\nservers = [\"127.0.0.1\"]\ntls_name = \"dot.test\"\ntls_pins = [\"AAAA\"]",
              keyPath: "upstream.provider[0].tls_pins[0]", line: 6, problem: "32 bytes"),
        .init(name: "TLS key on a dns provider", toml: "[[upstream.provider]]\nname = \"s\"\nservers = [\"127.0.0.1\"]\ntls_name = \"dot.test\"",
              keyPath: "upstream.provider[0].tls_name", line: 4, problem: "applies only to transport = \"tls\" or \"https\""),
        .init(name: "https_path on a tls provider",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tls\"\nservers = [\"127.0.0.1\"]\ntls_name = \"d.test\"\nhttps_path = \"/q\"",
              keyPath: "upstream.provider[0].https_path", line: 6, problem: "applies only to transport = \"https\""),
        .init(name: "unreadable CA file",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tls\"\nservers = [\"127.0.0.1\"]\ntls_name = \"d.test\"\ntls_ca_file = \"/nonexistent/ca.pem\"",
              keyPath: "upstream.provider[0].tls_ca_file", line: 6, problem: "cannot read \"/nonexistent/ca.pem\""),
        .init(name: "CA file without a certificate",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"tls\"\nservers = [\"127.0.0.1\"]\ntls_name = \"d.test\"\ntls_ca_file = \"/etc/passwd\"",
              keyPath: "upstream.provider[0].tls_ca_file", line: 6, problem: "holds no PEM certificate"),
        .init(name: "https without tls_name", toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"https\"\nservers = [\"127.0.0.1\"]",
              keyPath: "upstream.provider[0].tls_name", line: 1, problem: "is required with transport = \"https\""),
        .init(name: "https_path that is no path",
              toml: "[[upstream.provider]]\nname = \"s\"\ntransport = \"https\"\nservers = [\"127.0.0.1\"]\ntls_name = \"d.test\"\nhttps_path = \"dns-query?x=1\"",
              keyPath: "upstream.provider[0].https_path", line: 6, problem: "must be a URI path starting with \"/\""),
        .init(name: "tls_idle_timeout_ms negative", toml: "[upstream]\ntls_idle_timeout_ms = -1",
              keyPath: "upstream.tls_idle_timeout_ms", line: 2, problem: "at least 0"),
        .init(name: "dotted key in table", toml: "[cache]\nstale.max_age_s = -5", keyPath: "cache.stale.max_age_s", line: 2,
              problem: "at least 0"),
    ]

    @Test(arguments: cases)
    func reportsKeyPathLineAndProblem(_ c: Case) {
        let text = c.addProvider ? c.toml + "\n" + Self.provider : c.toml
        #expect {
            _ = try HoldfastConfiguration.parse(text, file: "test.toml")
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            #expect(error.file == "test.toml")
            #expect(error.keyPath == c.keyPath)
            #expect(error.line == c.line)
            #expect(error.problem.contains(c.problem), "problem was: \(error.problem)")
            #expect(!error.description.contains("\n"))
            return true
        }
    }

    @Test(arguments: [
        (ConfigError(file: "f.toml", line: 3, keyPath: "server.threads", problem: "bad"), "f.toml:3: server.threads: bad"),
        (ConfigError(file: "f.toml", keyPath: "upstream.provider", problem: "bad"), "f.toml: upstream.provider: bad"),
        (ConfigError(file: "f.toml", line: 9, problem: "TOML syntax error: x"), "f.toml:9: TOML syntax error: x"),
        (ConfigError(file: "f.toml", problem: "two\nlines"), "f.toml: two lines"),
    ])
    func descriptionIsOneLine(_ error: ConfigError, _ expected: String) {
        #expect(error.description == expected)
    }

    @Test func missingFileNamesTheFile() {
        let path = "/nonexistent-holdfast-test/holdfast.toml"
        #expect(throws: ConfigError(file: path, problem: "cannot read config file: No such file or directory")) {
            _ = try HoldfastConfiguration.load(path: path)
        }
    }

    @Test func directoryIsNotAConfigFile() throws {
        let error = #expect(throws: ConfigError.self) {
            _ = try HoldfastConfiguration.load(path: "/")
        }
        #expect(error?.description.hasPrefix("/: cannot read config file: ") == true)
    }
}
