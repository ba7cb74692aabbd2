// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// Walking one wire-format name — uncompressed or compressed — without building it: the one
/// place that knows label lengths, label types, pointers and the 255-octet limit. `DNSReader`
/// decodes names with it, `ParsedQuery` skips them with it, and the cache validates stored
/// answers and snapshot names with it.
public enum DNSNameWalk {
    /// Walks the name at `start`, calling `label` with the byte range of each label (without its
    /// length octet), and returns the offset just past the name where it started — past its
    /// first compression pointer, if it has one.
    /// - `limit`: the labels met before the first pointer must end by it (default: the buffer).
    /// - `pointers`: whether compression pointers are allowed. A pointer's target must lie below
    ///   `start` and below every earlier target, and at or above `minimumPointerTarget`, so every
    ///   walk ends.
    @inlinable
    public static func walk(
        _ bytes: UnsafeRawBufferPointer, at start: Int, limit: Int? = nil, pointers: Bool = true,
        minimumPointerTarget: Int = 0, label: (Range<Int>) -> Void = { _ in }
    ) throws(DNSWireError) -> Int {
        var position = start
        var bound = min(limit ?? bytes.count, bytes.count)
        var resume: Int? = nil
        var lowestTarget = start
        var total = 0
        while true {
            guard position >= 0, position < bound else { throw .truncated(offset: position) }
            let length = Int(bytes[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    guard total + 1 <= 255 else { throw .nameTooLong }
                    return resume ?? position + 1
                }
                guard position + 1 + length <= bound else { throw .truncated(offset: position) }
                total += 1 + length
                guard total < 255 else { throw .nameTooLong }
                label((position + 1)..<(position + 1 + length))
                position += 1 + length
            case 0xC0:
                guard pointers else { throw .badPointer(offset: position) }
                guard position + 1 < bound else { throw .truncated(offset: position) }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < lowestTarget, target >= minimumPointerTarget else { throw .badPointer(offset: position) }
                if resume == nil { resume = position + 2 }
                lowestTarget = target
                position = target
                bound = bytes.count
            default:
                throw .badLabelType(offset: position)
            }
        }
    }

    /// `walk` without the labels: the offset past the name, or nil when it is not a valid name.
    @inlinable
    public static func end(
        of bytes: UnsafeRawBufferPointer, at start: Int, limit: Int? = nil, pointers: Bool = true,
        minimumPointerTarget: Int = 0
    ) -> Int? {
        do throws(DNSWireError) {
            return try walk(bytes, at: start, limit: limit, pointers: pointers, minimumPointerTarget: minimumPointerTarget)
        } catch {
            return nil
        }
    }
}
