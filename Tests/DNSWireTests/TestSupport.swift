// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

/// Builds raw DNS packets byte by byte so malformed inputs can be written exactly.
/// A class so calls chain; each test builds its own.
final class PacketBuilder {
    var bytes: [UInt8] = []

    init(id: UInt16 = 0x1234, flags: UInt16 = 0x0100, qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0) {
        for value in [id, flags, qd, an, ns, ar] { u16(value) }
    }

    @discardableResult func u8(_ value: UInt8) -> Self {
        bytes.append(value)
        return self
    }

    @discardableResult func u16(_ value: UInt16) -> Self {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
        return self
    }

    @discardableResult func u32(_ value: UInt32) -> Self {
        u16(UInt16(value >> 16))
        return u16(UInt16(value & 0xFFFF))
    }

    /// Uncompressed labels for a dotted name ("" is the root), ending with the root label.
    @discardableResult func name(_ dotted: String) -> Self {
        for label in dotted.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes.append(contentsOf: Array(label.utf8))
        }
        bytes.append(0)
        return self
    }

    /// Labels without the root label (to be followed by a pointer).
    @discardableResult func labels(_ dotted: String) -> Self {
        for label in dotted.split(separator: ".") {
            bytes.append(UInt8(label.utf8.count))
            bytes.append(contentsOf: Array(label.utf8))
        }
        return self
    }

    @discardableResult func pointer(_ offset: Int) -> Self {
        u16(0xC000 | UInt16(offset))
    }

    @discardableResult func raw(_ data: [UInt8]) -> Self {
        bytes.append(contentsOf: data)
        return self
    }

    /// Type, class, TTL, RDLENGTH and RDATA after an owner name already written.
    @discardableResult func rr(type: UInt16, rclass: UInt16 = 1, ttl: UInt32 = 300, rdlength: Int? = nil, rdata: [UInt8]) -> Self {
        u16(type)
        u16(rclass)
        u32(ttl)
        u16(UInt16(rdlength ?? rdata.count))
        return raw(rdata)
    }

    /// A bare OPT record: root owner (unless `owner` given), payload size, DO bit, options.
    @discardableResult func opt(owner: String = "", payload: UInt16 = 1232, dnssecOK: Bool = false, rdata: [UInt8] = []) -> Self {
        name(owner)
        return rr(type: 41, rclass: payload, ttl: dnssecOK ? 0x8000 : 0, rdata: rdata)
    }
}

/// Builds a packet with a closure, so test tables stay declarative.
func packet(id: UInt16 = 0x1234, flags: UInt16 = 0x0100, qd: UInt16 = 0, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0, _ body: (PacketBuilder) -> Void = { _ in }) -> [UInt8] {
    let builder = PacketBuilder(id: id, flags: flags, qd: qd, an: an, ns: ns, ar: ar)
    body(builder)
    return builder.bytes
}

/// A name from presentation form; the tests only pass valid literals.
func dnsName(_ text: String) -> DNSName {
    do {
        return try DNSName(text)
    } catch {
        Issue.record("invalid test name \(text): \(error)")
        return .root
    }
}

/// The case of a `DNSWireError`, without its offset, for table-driven expectations.
enum WireErrorKind: String, Sendable, CustomTestStringConvertible {
    case truncated, labelTooLong, nameTooLong, badPointer, badLabelType, badRData, badOPT, badPresentationName, trailingBytes
    var testDescription: String { rawValue }
}

extension DNSWireError {
    var kind: WireErrorKind {
        switch self {
        case .truncated: return .truncated
        case .labelTooLong: return .labelTooLong
        case .nameTooLong: return .nameTooLong
        case .badPointer: return .badPointer
        case .badLabelType: return .badLabelType
        case .badRData: return .badRData
        case .badOPT: return .badOPT
        case .badPresentationName: return .badPresentationName
        case .trailingBytes: return .trailingBytes
        }
    }
}

/// The error decoding `bytes` as a whole message throws, or nil when it decodes.
func messageError(_ bytes: [UInt8]) -> DNSWireError? {
    do {
        _ = try DNSMessage(parsing: bytes)
        return nil
    } catch {
        return error
    }
}

/// The error parsing `bytes` as a query throws, or nil when it parses.
func queryError(_ bytes: [UInt8]) -> DNSWireError? {
    do {
        _ = try ParsedQuery(bytes: bytes)
        return nil
    } catch {
        return error
    }
}

func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> DNSRData { .a([a, b, c, d]) }
