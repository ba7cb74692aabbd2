// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastTestSupport
import Testing

/// A real application (glibc's resolver via `getent`) resolving through holdfastd as the
/// machine's resolver: in a private network and mount namespace (`unshare --net --mount`,
/// root only) with only `lo`, nsd on port 5300, holdfastd on 127.0.0.1:53 and a bind-mounted
/// resolv.conf naming it. Nothing outside the namespace is touched or reachable.
@Suite("A real application resolves through holdfastd", .enabled(if: getuid() == 0, "needs root for unshare"))
struct SystemResolverTests {
    @Test func getentHostsGoesThroughHoldfast() async throws {
        let directory = try TemporaryDirectory(prefix: "holdfast-ns")
        try directory.write(
            "nsd.conf", try NSDFixture.configText(port: 5300, directory: directory, zones: [.standard()]))
        try directory.write(
            "holdfast.toml", DaemonConfig(upstreams: [.v4(5300)]).render(port: 53, directory: directory.path))
        try directory.write("resolv.conf", "nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
        let script = """
            set -u
            ip link set lo up || exit 90
            mount --bind "$D/resolv.conf" /etc/resolv.conf || exit 91
            nsd -d -c "$D/nsd.conf" >"$D/nsd.out" 2>&1 &
            NSD=$!
            "$HOLDFASTD" --config "$D/holdfast.toml" >"$D/holdfastd.log" 2>&1 &
            HF=$!
            trap 'kill $HF 2>/dev/null; kill $NSD 2>/dev/null; wait' EXIT
            i=0
            until dig +time=1 +tries=1 +short @127.0.0.1 -p 53 www.example.test | grep -q 192.0.2.1; do
              i=$((i+1)); [ $i -ge 100 ] && { cat "$D/holdfastd.log" >&2; exit 92; }
              sleep 0.1
            done
            getent hosts www.example.test
            getent hosts mail.example.test
            getent hosts no-such-name.example.test || echo "not found: $?"
            """
        let scriptPath = try directory.write("run.sh", script)
        var environment = ProcessInfo.processInfo.environment
        environment["D"] = directory.path
        environment["HOLDFASTD"] = try Executables.holdfast("holdfastd")
        environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
        environment["NOTIFY_SOCKET"] = nil
        let output = EventLog<String>(label: "namespace run")
        let child = try ChildProcess(
            executable: try Executables.find("unshare"), arguments: ["--net", "--mount", "/bin/sh", scriptPath],
            environment: environment, stdout: .lines(output), stderr: .lines(output), newProcessGroup: true)
        let status = try await child.waitForExit(timeout: .seconds(40))
        try await output.waitForClose(timeout: .seconds(5))
        let lines = output.all
        #expect(status == 0, "\(lines)")
        // gethostbyname2 asks AAAA first: www has one; mail has only an A.
        #expect(lines.contains { $0.hasPrefix("2001:db8::1") && $0.contains("www.example.test") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("192.0.2.25") && $0.contains("mail.example.test") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("not found: 2") }, "\(lines)")
    }
}
