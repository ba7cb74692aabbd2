/// A min-heap of one-shot timers for the c-ares loop thread. Cancelling is lazy: the action is
/// dropped from the table and its heap entry skipped when it comes up.
struct TimerHeap {
    /// Identifies a scheduled timer so it can be cancelled.
    struct ID: Hashable {
        fileprivate let value: UInt64
    }

    private var heap: [(deadline: ContinuousClock.Instant, id: UInt64)] = []
    private var actions: [UInt64: () -> Void] = [:]
    private var nextID: UInt64 = 1

    var isEmpty: Bool { actions.isEmpty }

    mutating func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> ID {
        let id = nextID
        nextID += 1
        actions[id] = action
        heap.append((deadline, id))
        siftUp(heap.count - 1)
        return ID(value: id)
    }

    mutating func cancel(_ id: ID) {
        actions[id.value] = nil
    }

    /// The earliest live deadline.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        while let top = heap.first, actions[top.id] == nil { popTop() }
        return heap.first?.deadline
    }

    /// Removes and returns the actions due at `now`, earliest first.
    mutating func popDue(now: ContinuousClock.Instant) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = heap.first, top.deadline <= now {
            popTop()
            if let action = actions.removeValue(forKey: top.id) { due.append(action) }
        }
        return due
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
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
