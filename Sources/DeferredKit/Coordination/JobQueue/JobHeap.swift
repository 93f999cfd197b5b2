// MARK: - JobHeap

/// The pending jobs of a `DeferredJobQueue`, by (priority, put order): an `IndexedHeap`, so that a job is moved
/// (`reprioritize`) or taken out (`cancel`) in place and the heap never holds more entries than there
/// are pending jobs.
struct JobHeap: Sendable {
    /// A pending job's place in line: lower priority number first, then put order.
    struct Order: Comparable, Sendable {
        var priority: Int
        let sequence: UInt64

        static func < (a: Order, b: Order) -> Bool { (a.priority, a.sequence) < (b.priority, b.sequence) }
    }

    /// One pending job.
    struct Entry: Sendable {
        var priority: Int
        let sequence: UInt64
        let id: Int
    }

    private var heap = IndexedHeap<Order>()

    /// The number of pending jobs.
    var count: Int { heap.count }

    /// Whether no job is pending.
    var isEmpty: Bool { heap.isEmpty }

    /// Whether job `id` is pending.
    func contains(_ id: Int) -> Bool { heap.contains(id) }

    /// The ids in the order they would be popped.
    func orderedIDs() -> [Int] { heap.sorted().map(\.id) }

    /// Adds a job; `id` must not be pending yet.
    mutating func push(_ entry: Entry) {
        heap.push(entry.id, key: Order(priority: entry.priority, sequence: entry.sequence))
    }

    /// Removes and returns the job that runs next.
    mutating func popFirst() -> Entry? { heap.popFirst().map(Self.entry) }

    /// Removes job `id`; `nil` if it is not pending.
    @discardableResult
    mutating func remove(_ id: Int) -> Entry? { heap.remove(id).map(Self.entry) }

    /// Gives job `id` a new priority, keeping its put order among equal priorities; `false` if it is
    /// not pending.
    mutating func update(_ id: Int, priority: Int) -> Bool {
        guard let order = heap.key(of: id) else { return false }
        return heap.update(id, key: Order(priority: priority, sequence: order.sequence))
    }

    /// Removes every job and returns them in run order.
    mutating func removeAll() -> [Entry] { heap.removeAll().map(Self.entry) }

    private static func entry(_ entry: IndexedHeap<Order>.Entry) -> Entry {
        Entry(priority: entry.key.priority, sequence: entry.key.sequence, id: entry.id)
    }
}
