// MARK: - IndexedHeap

/// A binary min-heap of ids ordered by `Key`, indexed by id, so that an entry can be re-keyed or removed
/// in place in O(log n). Every id has exactly one entry: nothing stale is ever left behind.
///
/// Used for the pending jobs of a `DeferredJobQueue` (by priority, then put order) and for the timers of a
/// clock's scheduler (by deadline, then scheduling order). Keys must be unique for the order among
/// equal keys to be defined; both users add a sequence number.
struct IndexedHeap<Key: Comparable & Sendable>: Sendable {
    /// One id and its key.
    struct Entry: Sendable {
        var key: Key
        let id: Int
    }

    private var entries: [Entry] = []
    /// The index in `entries` of each id.
    private var positions: [Int: Int] = [:]

    init() {}

    // MARK: Reading

    /// The number of entries.
    var count: Int { entries.count }

    /// Whether there is no entry.
    var isEmpty: Bool { entries.isEmpty }

    /// The entry with the smallest key.
    var first: Entry? { entries.first }

    /// Whether `id` has an entry.
    func contains(_ id: Int) -> Bool { positions[id] != nil }

    /// The key of `id`, if it has an entry.
    func key(of id: Int) -> Key? { positions[id].map { entries[$0].key } }

    /// Every entry, smallest key first.
    func sorted() -> [Entry] { entries.sorted { $0.key < $1.key } }

    // MARK: Changing

    /// Adds `id` with `key`; `id` must not have an entry yet.
    mutating func push(_ id: Int, key: Key) {
        precondition(positions[id] == nil, "IndexedHeap: \(id) already has an entry")
        entries.append(Entry(key: key, id: id))
        positions[id] = entries.count - 1
        siftUp(entries.count - 1)
    }

    /// Removes and returns the entry with the smallest key.
    mutating func popFirst() -> Entry? {
        guard !entries.isEmpty else { return nil }
        return remove(at: 0)
    }

    /// Removes the entry of `id`; `nil` if it has none.
    @discardableResult
    mutating func remove(_ id: Int) -> Entry? {
        guard let index = positions[id] else { return nil }
        return remove(at: index)
    }

    /// Gives `id` a new key; `false` if it has no entry.
    mutating func update(_ id: Int, key: Key) -> Bool {
        guard let index = positions[id] else { return false }
        let old = entries[index].key
        entries[index].key = key
        if key < old { siftUp(index) } else { siftDown(index) }
        return true
    }

    /// Removes every entry and returns them, smallest key first.
    mutating func removeAll() -> [Entry] {
        let all = sorted()
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
            guard entries[child].key < entries[parent].key else { return }
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
            if left < entries.count, entries[left].key < entries[first].key { first = left }
            if right < entries.count, entries[right].key < entries[first].key { first = right }
            if first == parent { return }
            swapEntries(parent, first)
            parent = first
        }
    }
}
