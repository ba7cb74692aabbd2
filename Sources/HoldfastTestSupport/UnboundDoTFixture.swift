// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc

/// A real Unbound (Debian's) serving DNS over TLS — or, with `https`, DNS over HTTPS (HTTP/2,
/// path /dns-query) — on 127.0.0.1 (or `host`) at a free port with the test
/// CA's certificate, answering `records` from `local-data` (a static local zone) and NXDOMAIN
/// for everything else (a static "." zone: it never recurses, never leaves loopback). Plain DNS is on another port (`plainPort`) only for the readiness
/// check. Runs in the foreground in its own process group; dropping the fixture kills it.
public final class UnboundDoTFixture: Sendable {
    public let tlsAddress: LoopbackAddress
    public let plainPort: UInt16
    public let directory: TemporaryDirectory
    private let process: ChildProcess

    private init(tlsAddress: LoopbackAddress, plainPort: UInt16, directory: TemporaryDirectory, process: ChildProcess) {
        self.tlsAddress = tlsAddress
        self.plainPort = plainPort
        self.directory = directory
        self.process = process
    }

    /// Starts unbound with `identity`, serving `zone` statically with `records`
    /// ("name TTL IN A 192.0.2.1" lines), and returns once it answers over plain DNS.
    public static func start(
        identity: TestCertificates.Identity, zone: String = "dot.example.", records: [String],
        idleTimeoutMs: Int = 30_000, https: Bool = false, httpMaxStreams: Int? = nil, host: String = "127.0.0.1",
        timeout: Duration = .seconds(10)
    ) async throws -> UnboundDoTFixture {
        let directory = try TemporaryDirectory(prefix: "holdfast-unbound")
        let tlsPort = try FreePort.next()
        let service = https ? "https-port: \(tlsPort)" + (httpMaxStreams.map { "\n  http-max-streams: \($0)" } ?? "")
            : "tls-port: \(tlsPort)"
        let plainPort = try FreePort.next()
        let localData = records.map { "  local-data: \"\($0)\"" }.joined(separator: "\n")
        let config = """
            server:
              interface: \(host)@\(tlsPort)
              interface: 127.0.0.1@\(plainPort)
              \(service)
              port: \(plainPort)
              tls-service-key: "\(identity.key)"
              tls-service-pem: "\(identity.certificate)"
              do-daemonize: no
              use-syslog: no
              logfile: ""
              username: ""
              chroot: ""
              directory: "\(directory.path)"
              pidfile: ""
              num-threads: 1
              access-control: 127.0.0.0/8 allow
              tcp-idle-timeout: \(idleTimeoutMs)
              incoming-num-tcp: 100
              verbosity: 1
              local-zone: "." static
              local-zone: "\(zone)" static
            \(localData)
            remote-control:
              control-enable: no

            """
        let configPath = try directory.write("unbound.conf", config)
        let check = try await ChildProcess.run(try Executables.find("unbound-checkconf"), [configPath])
        guard check.status == 0 else {
            throw TestSupportError.startFailed("unbound-checkconf: \(check.stdout + check.stderr)")
        }
        let process = try ChildProcess(
            executable: try Executables.find("unbound"), arguments: ["-d", "-c", configPath],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
            stdout: .file(directory.file("unbound.out")), stderr: .file(directory.file("unbound.out")),
            newProcessGroup: true)
        let fixture = UnboundDoTFixture(
            tlsAddress: try LoopbackAddress(host: host, port: tlsPort), plainPort: plainPort, directory: directory, process: process)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && !process.hasExited {
            if let reply = try? await DNSClient.query(zone, .soa, to: .v4(plainPort), timeout: .milliseconds(200)),
               reply.rcode == .noError {
                return fixture
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let out = (try? String(contentsOfFile: directory.file("unbound.out"), encoding: .utf8)) ?? ""
        fixture.stop()
        throw TestSupportError.startFailed("unbound did not answer within \(timeout): \(out)")
    }

    /// Established TCP connections to the TLS port, counted on the server's side (/proc/net/tcp).
    public var establishedConnections: Int { TCPTable.established(localPort: tlsAddress.port) }

    public func stop() { process.signal(SIGKILL) }

    deinit { process.signal(SIGKILL) }
}

/// Reads the kernel's IPv4 TCP table.
public enum TCPTable {
    /// Sockets in state ESTABLISHED whose local port is `localPort`.
    public static func established(localPort: UInt16) -> Int {
        let suffix = String(format: ":%04X", localPort)
        return readAll("/proc/net/tcp").split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[1].hasSuffix(suffix) && fields[3] == "01"
        }.count
    }

    /// The whole of a /proc file, read until EOF (procfs files report size 0, and the TCP
    /// table of a busy test run is many pages long).
    static func readAll(_ path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
