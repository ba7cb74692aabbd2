// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// The address family of an IP literal: IPv4 (4 bytes) or IPv6 (16 bytes).
public enum IPFamily: Sendable, Hashable, CustomStringConvertible {
    case v4
    case v6

    /// Number of bytes in an address of this family (4 or 16).
    public var byteCount: Int {
        switch self {
        case .v4: 4
        case .v6: 16
        }
    }

    /// Number of bits in an address of this family (32 or 128).
    public var bitCount: Int { byteCount * 8 }

    public var description: String {
        switch self {
        case .v4: "IPv4"
        case .v6: "IPv6"
        }
    }
}
