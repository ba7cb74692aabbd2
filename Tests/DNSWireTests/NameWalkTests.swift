// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import Testing
@testable import DNSWire

/// The one name walker: labels, pointers, limits and lengths, on hand-made bytes.
@Suite struct NameWalkTests {
    func end(_ bytes: [UInt8], at start: Int, limit: Int? = nil, pointers: Bool = true, floor: Int = 0) -> Int? {
        bytes.withUnsafeBytes { DNSNameWalk.end(of: $0, at: start, limit: limit, pointers: pointers, minimumPointerTarget: floor) }
    }

    // "a.b." at 0, then a name "c" + pointer to 2 ("b.") at 5.
    let message: [UInt8] = [1, 0x61, 1, 0x62, 0, 1, 0x63, 0xC0, 2]

    @Test func uncompressedAndCompressedNamesEndWhereTheyStop() {
        #expect(end(message, at: 0) == 5)
        #expect(end(message, at: 5) == 9)  // past the pointer, not past the target
        #expect(end([0], at: 0) == 1)  // the root
    }

    @Test func labelsAreReportedInOrder() throws {
        var labels: [[UInt8]] = []
        let after = try message.withUnsafeBytes { bytes in
            try DNSNameWalk.walk(bytes, at: 5) { labels.append(Array(UnsafeRawBufferPointer(rebasing: bytes[$0]))) }
        }
        #expect(after == 9)
        #expect(labels == [[0x63], [0x62]])
    }

    @Test("Rejected", arguments: [
        ([UInt8]([1, 0x61]), 0),  // truncated
        ([0xC0, 0], 0),  // pointer to itself
        ([1, 0x61, 0xC0, 4, 0], 0),  // pointer forward
        ([0x40, 0], 0),  // label type 0x40
        ([1, 0x61, 0, 0xC0, 5, 0xC0, 3], 5),  // a chain that goes back up (a loop)
    ])
    func rejected(bytes: [UInt8], start: Int) {
        #expect(end(bytes, at: start) == nil)
    }

    @Test func pointersCanBeForbiddenOrFloored() {
        #expect(end(message, at: 5, pointers: false) == nil)
        #expect(end(message, at: 5, floor: 3) == nil)
        #expect(end(message, at: 5, floor: 2) == 9)
    }

    @Test func labelsBeforeTheFirstPointerMustEndByTheLimit() {
        #expect(end(message, at: 0, limit: 4) == nil)
        #expect(end(message, at: 0, limit: 5) == 5)
        #expect(end(message, at: 5, limit: 9) == 9)  // the target may lie anywhere before
    }

    @Test func namesLongerThan255OctetsAreRejected() {
        let label: [UInt8] = [63] + Array(repeating: 0x61, count: 63)
        let fits = label + label + label + [61] + Array(repeating: 0x61, count: 61) + [0]  // 255
        let tooLong = label + label + label + [62] + Array(repeating: 0x61, count: 62) + [0]  // 256
        #expect(end(fits, at: 0) == 255)
        #expect(end(tooLong, at: 0) == nil)
    }
}
