// MARK: - JobHeap

/// The pending jobs of a `JobQueue`: a binary min-heap of job ids by (priority, put order), indexed by id
/// so that a job can be moved (`reprioritize`) or taken out (`cancel`) in place, in O(log n).
///
/// Every pending job has exactly one entry: nothing stale is left behind, so the heap never holds more
/// entries than there are pending jobs.
struct JobHeap: Sendable {
    /// One pending job: its id and the key it is ordered by.
    struct Entry: Sendable {
        var priority: Int
        let sequence: UInt64
        let id: Int

        /// Whether this entry runs before `other`: lower priority number first, then put order.
        func precedes(_ other: Entry) -> Bool {
            (priority, sequence) < (other.priority, other.sequence)
        }
    }

    private var entries: [Entry] = []
    /// The index in `entries` of each job id.
    private var positions: [Int: Int] = [:]

    // MARK: Reading

    /// The number of pending jobs.
    var count: Int { entries.count }

    /// Whether no job is pending.
    var isEmpty: Bool { entries.isEmpty }

    /// Whether job `id` is pending.
    func contains(_ id: Int) -> Bool { positions[id] != nil }

    /// The ids in the order they would be popped.
    func orderedIDs() -> [Int] {
        entries.sorted { $0.precedes($1) }.map(\.id)
    }

    // MARK: Changing

    /// Adds a job; `id` must not be in the heap yet.
    mutating func push(_ entry: Entry) {
        precondition(positions[entry.id] == nil, "JobHeap: job \(entry.id) is already pending")
        entries.append(entry)
        positions[entry.id] = entries.count - 1
        siftUp(entries.count - 1)
    }

    /// Removes and returns the job that runs next.
    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        return remove(at: 0)
    }

    /// Removes job `id`; `nil` if it is not pending.
    @discardableResult
    mutating func remove(_ id: Int) -> Entry? {
        guard let index = positions[id] else { return nil }
        return remove(at: index)
    }

    /// Gives job `id` a new priority, keeping its put order among equal priorities. Returns `false` if
    /// the job is not pending.
    mutating func update(_ id: Int, priority: Int) -> Bool {
        guard let index = positions[id] else { return false }
        let old = entries[index].priority
        entries[index].priority = priority
        if priority < old { siftUp(index) } else { siftDown(index) }
        return true
    }

    /// Removes every job and returns them in run order.
    mutating func removeAll() -> [Entry] {
        let all = entries.sorted { $0.precedes($1) }
        entries.removeAll()
        positions.removeAll()
        return all
    }

    // MARK: Internals

    private mutating func remove(at index: Int) -> Entry {
        let removed = entries[index]
        positions[removed.id] = nil
        let last = entries.removeLast()
        if index < entries.count {
            entries[index] = last
            positions[last.id] = index
            siftDown(index)
            siftUp(index)
        }
        return removed
    }

    private mutating func swapEntries(_ a: Int, _ b: Int) {
        entries.swapAt(a, b)
        positions[entries[a].id] = a
        positions[entries[b].id] = b
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { return }
            swapEntries(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var first = parent
            if left < entries.count, entries[left].precedes(entries[first]) { first = left }
            if right < entries.count, entries[right].precedes(entries[first]) { first = right }
            if first == parent { return }
            swapEntries(parent, first)
            parent = first
        }
    }
}
