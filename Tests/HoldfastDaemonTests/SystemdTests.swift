// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastDaemon
import Testing

/// sd_notify and socket activation: parsing, and real datagrams/sockets on this machine.
@Suite struct SystemdTests {
    @Test("NOTIFY_SOCKET values", arguments: [
        ("/run/systemd/notify", true), ("@abstract-name", true), ("", false), ("relative/path", false),
        ("@", false), (String(repeating: "/a", count: 60), false),
    ])
    func notifySocketValues(value: String, enabled: Bool) {
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": value]).isEnabled == enabled)
    }

    @Test func disabledNotifierIsANoOp() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.ready(status: "x"))
        #expect(!notifier.watchdog())
    }

    @Test("Watchdog interval is half of WATCHDOG_USEC, only for this pid", arguments: [
        (["WATCHDOG_USEC": "30000000"], Duration.seconds(15)),
        (["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "4242"], Duration.milliseconds(500)),
        (["WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"], nil),
        (["WATCHDOG_USEC": "0"], nil),
        (["WATCHDOG_USEC": "soon"], nil),
        ([:], nil),
    ] as [([String: String], Duration?)])
    func watchdogInterval(environment: [String: String], expected: Duration?) {
        #expect(SystemdNotifier.watchdogInterval(environment: environment, pid: 4242) == expected)
    }

    @Test func listenVariables() {
        #expect(SocketActivation.parse(listenPID: "7", listenFDs: "2", listenFDNames: "udp:tcp", pid: 7)?.names == ["udp", "tcp"])
        #expect(SocketActivation.parse(listenPID: "7", listenFDs: "3", listenFDNames: nil, pid: 7)?.count == 3)
        #expect(SocketActivation.parse(listenPID: "8", listenFDs: "2", listenFDNames: nil, pid: 7) == nil)
        #expect(SocketActivation.parse(listenPID: nil, listenFDs: "2", listenFDNames: nil, pid: 7) == nil)
        #expect(SocketActivation.parse(listenPID: "7", listenFDs: "zero", listenFDNames: nil, pid: 7) == nil)
        #expect(SocketActivation.parse(listenPID: "7", listenFDs: "0", listenFDNames: nil, pid: 7) == nil)
    }

    @Test("Messages arrive on a path socket and on an abstract one", arguments: [false, true])
    func sendsDatagrams(abstract: Bool) throws {
        let name = "holdfast-notify-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let path = abstract ? "@" + name : "/tmp/" + name
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer {
            close(fd)
            if !abstract { unlink(path) }
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(2 + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        try #require(bound == 0)
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        #expect(notifier.ready(status: "serving\n2 providers up"))
        #expect(receive(fd) == "READY=1\nSTATUS=serving 2 providers up")
        #expect(notifier.watchdog())
        #expect(receive(fd) == "WATCHDOG=1")
        #expect(notifier.reloading())
        #expect(receive(fd)?.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") == true)
    }

    @Test func describesInheritedSockets() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0)
        let described = SocketActivation.describe(fd: fd, name: "dns")
        #expect(described.kind == .datagram)
        #expect(described.family == AF_INET)
        #expect(described.host == "127.0.0.1")
        #expect((described.port ?? 0) > 0)
        #expect(described.name == "dns")
    }

    private func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }
}
