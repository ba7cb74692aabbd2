// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a request to the control socket failed before an HTTP answer arrived.
public enum ControlClientError: Error, Equatable, CustomStringConvertible {
    /// connect(2) failed: the daemon is not running, or the path is wrong or not accessible.
    case cannotConnect(path: String, reason: String)
    /// The connection broke or timed out, or the answer was not HTTP.
    case badAnswer(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotConnect(let path, let reason):
            "cannot connect to holdfastd control socket \(path): \(reason) (is holdfastd running?)"
        case .badAnswer(let path, let reason):
            "bad answer from holdfastd control socket \(path): \(reason)"
        }
    }
}

/// An HTTP answer: status, headers (names lower-cased) and body.
public struct HTTPAnswer: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    /// The body as text (invalid UTF-8 repaired).
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A small synchronous HTTP/1.1 client over an AF_UNIX stream socket: one request per
/// connection (`Connection: close`), the answer read to Content-Length or EOF. Enough for the
/// control API; no NIO in the CLI.
public struct UnixHTTPClient: Sendable {
    /// The socket path.
    public var socketPath: String
    /// Send and receive timeout per system call, in seconds.
    public var timeoutSeconds: Int
    /// Largest answer accepted.
    public var maxAnswerBytes = 64 * 1024 * 1024

    public init(socketPath: String, timeoutSeconds: Int = 30) {
        self.socketPath = socketPath
        self.timeoutSeconds = timeoutSeconds
    }

    /// Sends `method target` and returns the answer.
    public func send(method: String, target: String) throws(ControlClientError) -> HTTPAnswer {
        let fd = try connectSocket()
        defer { close(fd) }
        let request = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\nUser-Agent: holdfastctl\r\nAccept: */*\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        try writeAll(fd, Array(request.utf8))
        return try readAnswer(fd)
    }

    private func connectSocket() throws(ControlClientError) -> Int32 {
        let bytes = Array(socketPath.utf8)
        var address = sockaddr_un()
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw .cannotConnect(path: socketPath, reason: "path too long for a Unix socket")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .cannotConnect(path: socketPath, reason: Self.errorText(errno)) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw .cannotConnect(path: socketPath, reason: Self.errorText(code))
        }
        return fd
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(ControlClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .badAnswer(path: socketPath, reason: "write: \(Self.errorText(errno))")
            }
            offset += written
        }
    }

    private func readAnswer(_ fd: Int32) throws(ControlClientError) -> HTTPAnswer {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var parsed: (status: Int, headers: [String: String], bodyStart: Int)?
        while true {
            if parsed == nil, let end = Self.headEnd(data) {
                parsed = try parseHead(Array(data[..<end]), bodyStart: end + 4)
            }
            if let head = parsed, let length = head.headers["content-length"].flatMap(Int.init),
               data.count - head.bodyStart >= length {
                return HTTPAnswer(status: head.status, headers: head.headers,
                                  body: Array(data[head.bodyStart..<(head.bodyStart + length)]))
            }
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = errno == EAGAIN || errno == EWOULDBLOCK ? "timed out after \(timeoutSeconds) s" : Self.errorText(errno)
                throw .badAnswer(path: socketPath, reason: reason)
            }
            if count == 0 { break }
            data.append(contentsOf: chunk[..<count])
            guard data.count <= maxAnswerBytes else { throw .badAnswer(path: socketPath, reason: "answer too large") }
            if parsed == nil, data.count > 64 * 1024 { throw .badAnswer(path: socketPath, reason: "HTTP head too large") }
        }
        guard let head = parsed else {
            throw .badAnswer(path: socketPath, reason: data.isEmpty ? "connection closed without an answer" : "incomplete HTTP head")
        }
        if let length = head.headers["content-length"].flatMap(Int.init), data.count - head.bodyStart < length {
            throw .badAnswer(path: socketPath, reason: "connection closed before the whole body arrived")
        }
        return HTTPAnswer(status: head.status, headers: head.headers, body: Array(data[head.bodyStart...]))
    }

    private func parseHead(_ bytes: [UInt8], bodyStart: Int) throws(ControlClientError) -> (status: Int, headers: [String: String], bodyStart: Int) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = (lines.first ?? "").split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw .badAnswer(path: socketPath, reason: "not an HTTP/1.x answer")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
        }
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            throw .badAnswer(path: socketPath, reason: "chunked answers are not supported")
        }
        return (status, headers, bodyStart)
    }

    private static func headEnd(_ data: [UInt8]) -> Int? {
        guard data.count >= 4 else { return nil }
        for index in 0...(data.count - 4) where data[index] == 13 && data[index + 1] == 10 && data[index + 2] == 13 && data[index + 3] == 10 {
            return index
        }
        return nil
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
