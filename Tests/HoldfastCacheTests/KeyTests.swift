// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import DNSWire
import Testing
@testable import HoldfastCache

@Suite struct KeyTests {
    /// Names of every length across the 8-byte word boundaries, in several spellings.
    @Test(arguments: [1, 2, 7, 8, 9, 15, 16, 17, 24, 40, 63])
    func spellingsOfOneNameAreOneKey(labelLength: Int) throws {
        let lower = String(repeating: "a", count: labelLength - 1) + "z"
        let spellings = [lower, lower.uppercased(), String(lower.enumerated().map { $0.offset % 2 == 0 ? Character($0.element.uppercased()) : $0.element })]
        let keys = try spellings.map { try ShardKey(CacheKey(name: DNSName($0 + ".Example.org"), type: .a)).unwrap() }
        for key in keys {
            #expect(key == keys[0])
            #expect(key.hashValue == keys[0].hashValue)
        }
        let other = try ShardKey(CacheKey(name: DNSName(String(lower.dropLast()) + "y.example.org"), type: .a)).unwrap()
        #expect(other != keys[0])
    }

    /// Only ASCII letters fold: bytes that differ by 0x20 elsewhere are different names.
    @Test(arguments: [(UInt8(0xC1), UInt8(0xE1)), (0x40, 0x60), (0x5B, 0x7B), (0x5E, 0x7E), (0x2D, 0x0D)])
    func nonLettersDoNotFold(pair: (UInt8, UInt8)) throws {
        func key(_ byte: UInt8) throws -> ShardKey {
            let wire: [UInt8] = [10] + [UInt8](repeating: 0x61, count: 9) + [byte] + [0]
            return try ShardKey(CacheKey(name: DNSName(wireBytes: wire), type: .a)).unwrap()
        }
        #expect(try key(pair.0) != key(pair.1))
        #expect(NameBytes.lowerWord(0x4142_5A5B_4060_C1DA) == 0x6162_7A5B_4060_C1DA)
    }

    @Test func storedAndLookupKeysMatch() throws {
        let cache = DNSCache(configuration: CacheConfiguration(shardCount: 16))
        for index in 0..<200 {
            let name = "Host-\(index).Some.Longer-Domain.example"
            cache.store(Fixture.key(name), message: Fixture.answer(name), now: 0)
            #expect(cache.peek(Fixture.key(name.lowercased()), now: 0).isFresh)
            #expect(cache.peek(Fixture.key(name.uppercased()), now: 0).isFresh)
        }
    }
}

extension Optional {
    struct Missing: Error {}
    func unwrap() throws -> Wrapped {
        guard let self else { throw Missing() }
        return self
    }
}
