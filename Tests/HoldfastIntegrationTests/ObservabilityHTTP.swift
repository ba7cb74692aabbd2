// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Foundation
import Glibc
import HoldfastTestSupport

/// A deliberately independent HTTP/1.1 client for the control API (not holdfastctl's), over a
/// real AF_UNIX socket or a loopback TCP port: one request per connection, `Connection: close`,
/// every system call bounded by a 10 s timeout, blocking work on its own thread.
enum ObservabilityHTTP {
    /// Where to connect.
    enum Endpoint: Sendable, CustomStringConvertible {
        case unix(String)
        case tcp(UInt16)

        var description: String {
            switch self {
            case .unix(let path): "unix:\(path)"
            case .tcp(let port): "127.0.0.1:\(port)"
            }
        }
    }

    /// One answer: status code, headers (names lower-cased) and body text.
    struct Reply: Sendable, CustomStringConvertible {
        var status: Int
        var headers: [String: String]
        var body: String

        /// The body as JSON (nil if it does not parse).
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }
        var description: String { "HTTP \(status) \(headers) \(body)" }
    }

    static func get(_ target: String, _ endpoint: Endpoint) async throws -> Reply {
        try await request("GET", target, endpoint)
    }

    static func post(_ target: String, _ endpoint: Endpoint) async throws -> Reply {
        try await request("POST", target, endpoint)
    }

    static func request(_ method: String, _ target: String, _ endpoint: Endpoint) async throws -> Reply {
        try await runBlocking {
            let fd = try connect(endpoint)
            defer { close(fd) }
            let text = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            let bytes = Array(text.utf8)
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == bytes.count else { throw ObservabilityError("send to \(endpoint) failed: errno \(errno)") }
            return try parse(readToEnd(fd), from: endpoint)
        }
    }

    private static func connect(_ endpoint: Endpoint) throws -> Int32 {
        let fd: Int32
        let result: Int32
        switch endpoint {
        case .unix(let path):
            fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw ObservabilityError("socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        case .tcp(let port):
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(port).bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard fd >= 0 else { throw ObservabilityError("socket() failed: errno \(errno)") }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw ObservabilityError("connect to \(endpoint) failed: errno \(code)")
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Reads until the server closes (it does after each answer) or a read times out.
    private static func readToEnd(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        for _ in 0..<100_000 {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data += buffer[..<count]
        }
        return data
    }

    private static func parse(_ bytes: [UInt8], from endpoint: Endpoint) throws -> Reply {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else {
            throw ObservabilityError("no HTTP header from \(endpoint): \(text.prefix(200))")
        }
        let head = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = head.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
            throw ObservabilityError("bad status line from \(endpoint): \(head.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init) {
            let bodyBytes = Array(body.utf8)
            guard bodyBytes.count >= length else {
                throw ObservabilityError("short body from \(endpoint): \(bodyBytes.count) of \(length) bytes")
            }
            body = String(decoding: bodyBytes.prefix(length), as: UTF8.self)
        }
        return Reply(status: status, headers: headers, body: body)
    }
}

/// A failed expectation inside the observability helpers.
struct ObservabilityError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Any JSON value, decoded without a schema so tests can pin the exact field names.
enum JSONValue: Decodable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    init(parsing text: String) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    subscript(key: String) -> JSONValue {
        if case .object(let fields) = self { return fields[key] ?? .null }
        return .null
    }

    subscript(index: Int) -> JSONValue {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return .null
    }

    var keys: Set<String> {
        if case .object(let fields) = self { return Set(fields.keys) }
        return []
    }

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var int: Int? { number.map { Int($0) } }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var array: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}
