// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

import CAres
import Glibc

/// Random numbers from the kernel's generator (getrandom(2), the source
/// `SystemRandomNumberGenerator` reads), fetched 256 bytes per system call instead of 8: query
/// IDs and 0x20 case bits are exactly as unpredictable, and a miss no longer pays two
/// getrandom calls. Loop-thread only, like every owner of one (the engine, each transport).
struct KernelRandom: RandomNumberGenerator {
    private final class Pool {
        var words = [UInt64](repeating: 0, count: 32)
        var next = 32
    }

    private let pool = Pool()

    init() {}

    mutating func next() -> UInt64 {
        if pool.next == pool.words.count { refill() }
        defer { pool.next += 1 }
        return pool.words[pool.next]
    }

    private func refill() {
        let filled = pool.words.withUnsafeMutableBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            var offset = 0
            while offset < buffer.count {
                let count = getrandom(base + offset, buffer.count - offset, 0)
                if count <= 0 {
                    if count < 0 && errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        if !filled {
            // getrandom cannot fail on Linux ≥ 3.17 once the pool is initialised; if it ever
            // does, take the standard library's source word by word.
            var system = SystemRandomNumberGenerator()
            for index in pool.words.indices { pool.words[index] = system.next() }
        }
        pool.next = 0
    }
}
