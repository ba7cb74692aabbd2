// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Glibc

/// One listening socket inherited from systemd socket activation (sd_listen_fds(3)):
/// descriptor, kind and local address, so the server can adopt it instead of binding.
public struct InheritedSocket: Sendable, Hashable, CustomStringConvertible {
    /// SOCK_DGRAM, SOCK_STREAM, or anything else the unit handed over.
    public enum Kind: Sendable, Hashable {
        case datagram
        case stream
        case other(Int32)
    }

    public let fd: Int32
    public let kind: Kind
    /// The name from `LISTEN_FDNAMES` (FileDescriptorName=), if given.
    public let name: String?
    /// AF_INET, AF_INET6, AF_UNIX, ...
    public let family: Int32
    /// Numeric host ("127.0.0.1", "::1") or the socket path for AF_UNIX; nil if unknown.
    public let host: String?
    public let port: UInt16?

    public init(fd: Int32, kind: Kind, name: String?, family: Int32, host: String?, port: UInt16?) {
        self.fd = fd
        self.kind = kind
        self.name = name
        self.family = family
        self.host = host
        self.port = port
    }

    /// "udp 127.0.0.1:53 (fd 3)".
    public var description: String {
        let proto: String
        switch kind {
        case .datagram: proto = "udp"
        case .stream: proto = "tcp"
        case .other(let type): proto = "type\(type)"
        }
        let where_ = family == AF_INET6 ? "[\(host ?? "?")]:\(port ?? 0)" : "\(host ?? "?"):\(port ?? 0)"
        return "\(proto) \(where_) (fd \(fd))"
    }
}

/// Reads the sockets systemd passed (`LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`, fds from 3).
public enum SocketActivation {
    /// The first inherited descriptor (SD_LISTEN_FDS_START).
    public static let firstFD: Int32 = 3

    /// The number of inherited fds and their names, or nil when the variables are absent,
    /// malformed, or meant for another process. Pure: no descriptors are touched.
    public static func parse(
        listenPID: String?, listenFDs: String?, listenFDNames: String?, pid: Int32
    ) -> (count: Int, names: [String?])? {
        guard let listenPID, let owner = Int32(listenPID), owner == pid else { return nil }
        guard let listenFDs, let count = Int(listenFDs), count > 0, count <= 4096 else { return nil }
        var names = [String?](repeating: nil, count: count)
        if let listenFDNames {
            let parts = listenFDNames.split(separator: ":", omittingEmptySubsequences: false)
            for (index, part) in parts.enumerated() where index < count && !part.isEmpty {
                names[index] = String(part)
            }
        }
        return (count, names)
    }

    /// The sockets handed to this process, each made close-on-exec, with kind and address.
    /// With `unsetEnvironment` (the default) the variables are removed so children do not
    /// inherit them. Empty when not socket-activated.
    public static func takeInheritedSockets(unsetEnvironment: Bool = true) -> [InheritedSocket] {
        func env(_ key: String) -> String? { getenv(key).map { String(cString: $0) } }
        let parsed = parse(
            listenPID: env("LISTEN_PID"), listenFDs: env("LISTEN_FDS"), listenFDNames: env("LISTEN_FDNAMES"),
            pid: getpid())
        if unsetEnvironment {
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_FDNAMES")
        }
        guard let parsed else { return [] }
        var sockets: [InheritedSocket] = []
        for index in 0..<parsed.count {
            let fd = firstFD + Int32(index)
            let flags = fcntl(fd, F_GETFD)
            guard flags >= 0 else { continue }
            _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC)
            sockets.append(describe(fd: fd, name: parsed.names[index]))
        }
        return sockets
    }

    /// Kind and local address of an open socket descriptor.
    public static func describe(fd: Int32, name: String? = nil) -> InheritedSocket {
        var type: Int32 = 0
        var typeLength = socklen_t(MemoryLayout<Int32>.size)
        let kind: InheritedSocket.Kind
        if getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &typeLength) == 0 {
            switch type {
            case Int32(SOCK_DGRAM.rawValue): kind = .datagram
            case Int32(SOCK_STREAM.rawValue): kind = .stream
            default: kind = .other(type)
            }
        } else {
            kind = .other(-1)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return InheritedSocket(fd: fd, kind: kind, name: name, family: -1, host: nil, port: nil) }
        let family = Int32(storage.ss_family)
        var host: String?
        var port: UInt16?
        switch family {
        case AF_INET:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var addr = address.pointee.sin_addr
                    host = numericHost(AF_INET, &addr)
                    port = UInt16(bigEndian: address.pointee.sin_port)
                }
            }
        case AF_INET6:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var addr = address.pointee.sin6_addr
                    host = numericHost(AF_INET6, &addr)
                    port = UInt16(bigEndian: address.pointee.sin6_port)
                }
            }
        case AF_UNIX:
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { address in
                    var path = address.pointee.sun_path
                    host = withUnsafeBytes(of: &path) { bytes in
                        let used = bytes.prefix { $0 != 0 }
                        return String(decoding: used, as: UTF8.self)
                    }
                }
            }
        default:
            break
        }
        return InheritedSocket(fd: fd, kind: kind, name: name, family: family, host: host, port: port)
    }

    private static func numericHost(_ family: Int32, _ address: UnsafeRawPointer) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard inet_ntop(family, address, &buffer, socklen_t(buffer.count)) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
