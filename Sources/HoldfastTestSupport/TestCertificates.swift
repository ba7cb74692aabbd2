// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation

/// A private CA and server certificates made with `openssl` for DNS-over-TLS tests, all in
/// one temp directory: a good certificate for `serverName` and 127.0.0.1, one for another name,
/// an expired one, and one signed by a CA the daemon is not told about. Nothing here is
/// trusted by the system.
public struct TestCertificates: Sendable {
    /// One certificate and its key.
    public struct Identity: Sendable {
        public let certificate: String
        public let key: String
    }

    public let directory: TemporaryDirectory
    /// The name the good certificates carry (and `tls_name` should be).
    public let serverName: String
    /// The CA the daemon is told to trust (`tls_ca_file`).
    public let caFile: String
    public let good: Identity
    /// Valid, signed by the trusted CA, for another name.
    public let wrongName: Identity
    /// Signed by the trusted CA for the right name, valid only in January 2020.
    public let expired: Identity
    /// Right name, signed by a CA the daemon does not trust.
    public let unknownCA: Identity

    /// Makes everything (about a second of `openssl`).
    public static func make(serverName: String = "dot.test") async throws -> TestCertificates {
        let directory = try TemporaryDirectory(prefix: "holdfast-certs")
        let openssl = try Executables.find("openssl")
        func run(_ arguments: [String]) async throws {
            let result = try await ChildProcess.run(openssl, arguments, environment: ["PATH": "/usr/bin:/bin"])
            guard result.status == 0 else {
                throw TestSupportError.startFailed("openssl \(arguments.joined(separator: " ")): \(result.stderr.joined(separator: " "))")
            }
        }
        func file(_ name: String) -> String { directory.file(name) }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try await run(["req", "-x509"] + curve + ["-keyout", file("\(ca).key"), "-out", file("\(ca).pem"),
                                                       "-days", "30", "-subj", "/CN=Holdfast test \(ca)"])
        }
        func issue(_ name: String, host: String, ca: String) async throws -> Identity {
            try await run(["req"] + curve + ["-keyout", file("\(name).key"), "-out", file("\(name).csr"), "-subj", "/CN=\(host)"])
            _ = try directory.write("\(name).ext", "subjectAltName=DNS:\(host),IP:127.0.0.1\n")
            try await run(["x509", "-req", "-in", file("\(name).csr"), "-CA", file("\(ca).pem"), "-CAkey", file("\(ca).key"),
                           "-CAcreateserial", "-out", file("\(name).pem"), "-days", "30", "-extfile", file("\(name).ext")])
            return Identity(certificate: file("\(name).pem"), key: file("\(name).key"))
        }
        let good = try await issue("server", host: serverName, ca: "ca")
        let wrongName = try await issue("wrong-name", host: "other.test", ca: "ca")
        let unknownCA = try await issue("unknown-ca", host: serverName, ca: "other-ca")
        // `openssl x509` cannot back-date; `openssl ca` takes explicit dates.
        try FileManager.default.createDirectory(atPath: file("cadb"), withIntermediateDirectories: true)
        _ = try directory.write("cadb/index.txt", "")
        _ = try directory.write("cadb/serial", "01\n")
        _ = try directory.write("ca.cnf", """
            [ca]
            default_ca = test
            [test]
            database = \(file("cadb/index.txt"))
            serial = \(file("cadb/serial"))
            new_certs_dir = \(file("cadb"))
            default_md = sha256
            policy = any
            copy_extensions = copy
            [any]
            commonName = supplied

            """)
        try await run(["req", "-new", "-key", good.key, "-out", file("expired.csr"), "-subj", "/CN=\(serverName)",
                       "-addext", "subjectAltName=DNS:\(serverName),IP:127.0.0.1"])
        try await run(["ca", "-batch", "-config", file("ca.cnf"), "-cert", file("ca.pem"), "-keyfile", file("ca.key"),
                       "-in", file("expired.csr"), "-out", file("expired.pem"),
                       "-startdate", "20200101000000Z", "-enddate", "20200102000000Z"])
        return TestCertificates(
            directory: directory, serverName: serverName, caFile: file("ca.pem"), good: good, wrongName: wrongName,
            expired: Identity(certificate: file("expired.pem"), key: good.key), unknownCA: unknownCA)
    }

    /// The RFC 7858 pin of a certificate: base64 of the SHA-256 of its SubjectPublicKeyInfo.
    public static func pin(of certificate: String) async throws -> String {
        let script = "openssl x509 -in '\(certificate)' -pubkey -noout | openssl pkey -pubin -outform der"
            + " | openssl dgst -sha256 -binary | base64"
        let result = try await ChildProcess.run("/bin/sh", ["-c", script], environment: ["PATH": "/usr/bin:/bin"])
        guard result.status == 0, let pin = result.stdout.first, pin.count == 44 else {
            throw TestSupportError.startFailed("cannot compute the pin of \(certificate): \(result.stderr)")
        }
        return pin
    }
}
