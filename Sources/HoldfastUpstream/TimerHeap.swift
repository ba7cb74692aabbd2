// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 The Holdfast Authors

/// A min-heap of one-shot timers for the upstream loop thread. Nearly every timer is cancelled
/// (an RTO or hedge timer whose question was answered first), so cancelling is O(1): the
/// entry's action is dropped and its heap slot skipped when it comes up; once cancelled entries
/// are more than half the heap, it is rebuilt from the live ones. Deadlines are integer
/// nanoseconds (cheap to compare) and entries are found by reference, not by a table lookup.
struct TimerHeap {
    /// One scheduled timer; its identity is its `ID`.
    final class Entry {
        let deadline: Int64
        var action: (() -> Void)?
        init(deadline: Int64, action: @escaping () -> Void) {
            self.deadline = deadline
            self.action = action
        }
    }

    /// Identifies a scheduled timer so it can be cancelled.
    struct ID: Hashable {
        fileprivate let entry: Entry
        static func == (lhs: ID, rhs: ID) -> Bool { lhs.entry === rhs.entry }
        func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(entry)) }
    }

    private var heap: [Entry] = []
    private var live = 0
    private let origin = ContinuousClock.now

    var isEmpty: Bool { live == 0 }

    mutating func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> ID {
        let entry = Entry(deadline: nanos(deadline), action: action)
        heap.append(entry)
        live += 1
        siftUp(heap.count - 1)
        return ID(entry: entry)
    }

    mutating func cancel(_ id: ID) {
        guard id.entry.action != nil else { return }
        id.entry.action = nil
        live -= 1
        if heap.count > 64 && live * 2 < heap.count { compact() }
    }

    /// The earliest live deadline.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        while let top = heap.first, top.action == nil { popTop() }
        return heap.first.map { origin + .nanoseconds($0.deadline) }
    }

    /// Removes and returns the actions due at `now`, earliest first.
    mutating func popDue(now: ContinuousClock.Instant) -> [() -> Void] {
        let limit = nanos(now)
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= limit {
            popTop()
            if let action = top.action {
                top.action = nil
                live -= 1
                due.append(action)
            }
        }
        return due
    }

    private func nanos(_ instant: ContinuousClock.Instant) -> Int64 {
        let (seconds, attoseconds) = (instant - origin).components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Drops cancelled entries and restores the heap order (Floyd's bottom-up build).
    private mutating func compact() {
        heap.removeAll { $0.action == nil }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func popTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { siftDown(0) }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = heap.count
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
