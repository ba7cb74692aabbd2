// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Foundation
import Glibc

/// A real `nsd` authoritative server (Debian's), unprivileged and in the foreground, serving
/// the given zones on 127.0.0.1 at a free port; every file lives in its own temp directory.
/// nsd forks, so it runs as its own process-group leader and `stop()` ends the whole group.
/// Dropping the fixture kills the group too.
public final class NSDFixture: Sendable {
    public let port: UInt16
    public let directory: TemporaryDirectory
    public let zones: [Zone]
    /// Where nsd serves DNS over TLS, when started with a TLS identity.
    public let tlsAddress: LoopbackAddress?
    private let process: ChildProcess
    private let configPath: String

    /// Where nsd listens.
    public var address: LoopbackAddress { .v4(port) }

    private init(port: UInt16, directory: TemporaryDirectory, zones: [Zone], process: ChildProcess, configPath: String,
                 tlsAddress: LoopbackAddress? = nil) {
        self.port = port
        self.tlsAddress = tlsAddress
        self.directory = directory
        self.zones = zones
        self.process = process
        self.configPath = configPath
    }

    /// Starts nsd with `zones` and returns once it answers a query for the first zone's SOA
    /// (bounded by `timeout`). Retries on another port if the chosen one was taken meanwhile.
    /// With `tls`, it also serves DNS over TLS (nsd's `tls-port`) with that certificate.
    public static func start(
        zones: [Zone] = [.standard()], timeout: Duration = .seconds(5), tls: TestCertificates.Identity? = nil
    ) async throws -> NSDFixture {
        var lastError: any Error = TestSupportError.startFailed("nsd")
        for _ in 0..<3 {
            do {
                return try await startOnce(zones: zones, timeout: timeout, tls: tls)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private static func startOnce(zones: [Zone], timeout: Duration, tls: TestCertificates.Identity?) async throws -> NSDFixture {
        guard let probeZone = zones.first else { throw TestSupportError.startFailed("nsd needs a zone") }
        let directory = try TemporaryDirectory(prefix: "holdfast-nsd")
        let port = try FreePort.next()
        let tlsPort = tls == nil ? nil : try FreePort.next()
        let tlsSetting = tls.flatMap { identity in tlsPort.map { (identity, $0) } }
        let configPath = try directory.write(
            "nsd.conf", try configText(port: port, directory: directory, zones: zones, tls: tlsSetting))
        let process = try ChildProcess(
            executable: try Executables.find("nsd"), arguments: ["-d", "-c", configPath],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"],
            stdout: .file(directory.file("nsd.out")), stderr: .file(directory.file("nsd.out")),
            newProcessGroup: true)
        let fixture = NSDFixture(
            port: port, directory: directory, zones: zones, process: process, configPath: configPath,
            tlsAddress: tlsPort.map { .v4($0) })
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if process.hasExited { break }
            let reply = try? await DNSClient.query(
                probeZone.name, .soa, to: fixture.address, timeout: .milliseconds(100))
            if let reply, reply.rcode == .noError, !reply.answers.isEmpty { return fixture }
            if reply == nil {
                // Refused (nothing bound yet) returns at once: wait a little before the next try.
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let log = (try? String(contentsOfFile: directory.file("nsd.log"), encoding: .utf8)) ?? ""
        let out = (try? String(contentsOfFile: directory.file("nsd.out"), encoding: .utf8)) ?? ""
        fixture.stop()
        throw TestSupportError.startFailed("nsd on port \(port) did not answer within \(timeout): \(log) \(out)")
    }

    /// The nsd.conf text for `zones` on `host`:`port` (127.0.0.1 unless running in a private
    /// namespace), every file in `directory`; also writes the zone files there. For running nsd
    /// elsewhere (e.g. in a private namespace).
    public static func configText(
        port: UInt16, directory: TemporaryDirectory, zones: [Zone], tls: (TestCertificates.Identity, UInt16)? = nil,
        host: String = "127.0.0.1"
    ) throws -> String {
        let tlsLines = tls.map { identity, tlsPort in
            """
              ip-address: 127.0.0.1@\(tlsPort)
              tls-port: \(tlsPort)
              tls-service-key: "\(identity.key)"
              tls-service-pem: "\(identity.certificate)"

            """
        } ?? ""
        var config = """
            server:
              ip-address: \(host)@\(port)
            \(tlsLines)  port: \(port)
              username: ""
              chroot: ""
              database: ""
              zonesdir: "\(directory.path)"
              zonelistfile: "\(directory.file("zone.list"))"
              xfrdfile: "\(directory.file("xfrd.state"))"
              xfrdir: "\(directory.path)"
              pidfile: "\(directory.file("nsd.pid"))"
              logfile: "\(directory.file("nsd.log"))"
              server-count: 1
              verbosity: 1
              hide-version: yes
            remote-control:
              control-enable: yes
              control-interface: "\(directory.file("nsd.ctl"))"

            """
        for (index, zone) in zones.enumerated() {
            let file = "zone\(index).zone"
            try directory.write(file, zone.text)
            config += "zone:\n  name: \"\(zone.origin)\"\n  zonefile: \"\(file)\"\n"
        }
        return config
    }

    /// How many queries nsd has received so far (from `nsd-control stats_noreset`).
    public func queryCount() async throws -> Int {
        try await statistic("num.queries")
    }

    /// Queries nsd received so far over UDP and over TCP (`num.udp`, `num.tcp` of IPv4; the
    /// fixture listens on 127.0.0.1 only).
    public func queriesByTransport() async throws -> (udp: Int, tcp: Int) {
        (try await statistic("num.udp"), try await statistic("num.tcp"))
    }

    /// One counter of `nsd-control stats_noreset`.
    public func statistic(_ name: String) async throws -> Int {
        let result = try await ChildProcess.run(
            try Executables.find("nsd-control"), ["-c", configPath, "stats_noreset"],
            environment: ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"], timeout: .seconds(5))
        for line in result.stdout where line.hasPrefix(name + "=") {
            if let count = Int(line.dropFirst(name.count + 1)) { return count }
        }
        throw TestSupportError.startFailed("nsd-control printed no \(name): \(result.stdout + result.stderr)")
    }

    /// Stops nsd and every process it forked.
    public func stop() {
        process.signal(SIGKILL)
    }

    /// SIGTERM to the group, then waits for the leader (bounded).
    public func stopGracefully() async {
        await process.terminate(grace: .seconds(3))
    }

    deinit { process.signal(SIGKILL) }
}
