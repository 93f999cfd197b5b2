// MARK: - JobHeap

/// The pending jobs of a `DeferredJobQueue`, by (priority, put order): an `IndexedHeap`, so that a job is moved
/// (`reprioritize`) or taken out (`cancel`) in place and the heap never holds more entries than there
/// are pending jobs.
@usableFromInline
struct JobHeap: Sendable {
    /// A pending job's place in line: lower priority number first, then put order.
    struct Order: Comparable, Sendable {
        var priority: Int
        let sequence: UInt64

        static func < (a: Order, b: Order) -> Bool { (a.priority, a.sequence) < (b.priority, b.sequence) }
    }

    /// One pending job.
    @usableFromInline
    struct Entry: Sendable {
        @usableFromInline var priority: Int
        @usableFromInline let sequence: UInt64
        @usableFromInline let id: Int

        @usableFromInline
        init(priority: Int, sequence: UInt64, id: Int) {
            self.priority = priority
            self.sequence = sequence
            self.id = id
        }
    }

    var heap = IndexedHeap<Order>()

    @usableFromInline
    init() {}

    /// The number of pending jobs.
    @usableFromInline
    var count: Int { heap.count }

    /// Whether no job is pending.
    @usableFromInline
    var isEmpty: Bool { heap.isEmpty }

    /// Whether job `id` is pending.
    @usableFromInline
    func contains(_ id: Int) -> Bool { heap.contains(id) }

    /// The ids in the order they would be popped.
    @usableFromInline
    func orderedIDs() -> [Int] { heap.sorted().map(\.id) }

    /// Adds a job; `id` must not be pending yet.
    @usableFromInline
    mutating func push(_ entry: Entry) {
        heap.push(entry.id, key: Order(priority: entry.priority, sequence: entry.sequence))
    }

    /// Removes and returns the job that runs next.
    @usableFromInline
    mutating func popFirst() -> Entry? { heap.popFirst().map(Self.entry) }

    /// Removes job `id`; `nil` if it is not pending.
    @discardableResult
    @usableFromInline
    mutating func remove(_ id: Int) -> Entry? { heap.remove(id).map(Self.entry) }

    /// Gives job `id` a new priority, keeping its put order among equal priorities; `false` if it is
    /// not pending.
    @usableFromInline
    mutating func update(_ id: Int, priority: Int) -> Bool {
        guard let order = heap.key(of: id) else { return false }
        return heap.update(id, key: Order(priority: priority, sequence: order.sequence))
    }

    /// Removes every job and returns them in run order.
    @usableFromInline
    mutating func removeAll() -> [Entry] { heap.removeAll().map(Self.entry) }

    private static func entry(_ entry: IndexedHeap<Order>.Entry) -> Entry {
        Entry(priority: entry.key.priority, sequence: entry.key.sequence, id: entry.id)
    }
}
