// MARK: - Observer

/// One registered observer of a Deferred, with the identity of the dependent it belongs to.
///
/// Most observers are a callback and a dependent identity. `dependent == Observer.permanent` marks a
/// *permanent* observer (`whenComplete`): it never withdraws, so a Deferred that has one is never
/// cancelled on behalf of its dependents. `Observer.passive` marks an observer that expresses no interest
/// at all (a pool tracking a Deferred, an event channel that ends at completion): it neither keeps the
/// Deferred from being cancelled nor counts as a dependent. Any other value names a withdrawable
/// dependent (an awaiting task, a combinator) that can take its observer back.
///
/// A *link* is a derived Deferred that is its own observer (`map`, `flatMap`): the list holds the link
/// and a function that needs no captures, so registering it allocates nothing; its identity is its address.
@usableFromInline
enum Observer<Value: Sendable>: Sendable {
    case callback(dependent: UInt, @Sendable (Result<Value, any Error>) -> Void)
    case link(AnyObject & Sendable, @Sendable (AnyObject, Result<Value, any Error>) -> Void)

    /// The identity of a `whenComplete` observer.
    @usableFromInline static var permanent: UInt { 0 }
    /// The identity of an observer that expresses no interest.
    @usableFromInline static var passive: UInt { 1 }
    /// The identity of a withdrawn observer's place in a long list (see `ObserverIndex`).
    @usableFromInline static var tombstone: UInt { .max }

    @inlinable
    init(dependent: UInt, callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        self = .callback(dependent: dependent, callback)
    }

    /// The dependent this observer belongs to.
    @inlinable
    var dependent: UInt {
        switch self {
        case .callback(let dependent, _): return dependent
        case .link(let link, _): return UInt(bitPattern: ObjectIdentifier(link))
        }
    }

    /// Hands `result` to the observer.
    @inlinable
    func callback(_ result: Result<Value, any Error>) {
        switch self {
        case .callback(_, let callback): callback(result)
        case .link(let link, let receive): receive(link, result)
        }
    }

    /// A withdrawn observer's place: skipped when the list runs.
    @usableFromInline
    static var withdrawn: Observer { .callback(dependent: tombstone, { _ in }) }
}

// MARK: - ObserverList

/// The observers of one Deferred, in registration order. The first one is stored inline, so the common
/// case — a Deferred with a single observer — needs no array.
///
/// Withdrawing from a short list searches it. Withdrawing from a long one (a Deferred awaited by
/// thousands of tasks) goes through an `ObserverIndex`, kept in the Deferred's rare parts, that maps each
/// dependent to its position; the withdrawn observer's place becomes a tombstone, and the list is
/// compacted once tombstones are half of it, so N withdrawals cost O(N) in all.
@usableFromInline
struct ObserverList<Value: Sendable>: Sendable {
    @usableFromInline var first: Observer<Value>?
    @usableFromInline var rest: [Observer<Value>]

    /// Lists whose `rest` is at least this long are indexed on their first withdrawal.
    @usableFromInline static var indexThreshold: Int { 16 }

    @inlinable
    init() {
        first = nil
        rest = []
    }

    @inlinable
    var isEmpty: Bool { first == nil }

    /// Appends `observer`, recording its position in `index` when the list is indexed.
    @inlinable
    mutating func append(_ observer: Observer<Value>, index: ObserverIndex?) {
        if first == nil {
            first = observer
        } else {
            index?.positions[observer.dependent] = rest.count
            rest.append(observer)
        }
    }

    /// Takes every observer out, leaving the list empty.
    @inlinable
    mutating func takeAll() -> ObserverList<Value> {
        let taken = consume self  // moved out: no retain and release of what it holds
        self = ObserverList()
        return taken
    }

    /// Removes the observer of `dependent`, keeping the others in order. `index` is built here when the
    /// list is long; the caller keeps it with the list, and drops it when the list is emptied.
    @usableFromInline
    mutating func remove(dependent: UInt, index: inout ObserverIndex?) -> Observer<Value>? {
        guard let head = first else { return nil }
        if head.dependent == dependent {
            if rest.isEmpty {
                first = nil
            } else if index == nil && rest.count < Self.indexThreshold {
                first = rest.removeFirst()
            } else {
                first = .withdrawn
                if index == nil { index = makeIndex() }
                compactIfSparse(index!)
            }
            return head
        }
        if index == nil {
            if rest.count < Self.indexThreshold {
                guard let position = rest.firstIndex(where: { $0.dependent == dependent }) else { return nil }
                return rest.remove(at: position)
            }
            index = makeIndex()
        }
        let index = index!
        guard let position = index.positions.removeValue(forKey: dependent) else { return nil }
        let removed = rest[position]
        rest[position] = .withdrawn
        index.tombstones += 1
        compactIfSparse(index)
        return removed
    }

    @usableFromInline
    func contains(dependent: UInt, index: ObserverIndex?) -> Bool {
        if first?.dependent == dependent { return true }
        if let index { return index.positions[dependent] != nil }
        return rest.contains { $0.dependent == dependent }
    }

    /// An index of `rest` as it is now.
    @usableFromInline
    func makeIndex() -> ObserverIndex {
        let index = ObserverIndex()
        index.positions.reserveCapacity(rest.count)
        for (position, observer) in rest.enumerated() where observer.dependent != Observer<Value>.tombstone {
            index.positions[observer.dependent] = position
        }
        index.tombstones = rest.count - index.positions.count
        return index
    }

    /// Drops the tombstones once they are half of the list (and empties a list that has only tombstones
    /// left), renumbering the index. The first place may stay a tombstone until then, so withdrawing
    /// dependents in registration order is linear too.
    @usableFromInline
    mutating func compactIfSparse(_ index: ObserverIndex) {
        let firstIsLive = first.map { $0.dependent != Observer<Value>.tombstone } ?? false
        if !firstIsLive && index.positions.isEmpty {
            self = ObserverList()
            index.positions = [:]
            index.tombstones = 0
            return
        }
        let dead = index.tombstones + (firstIsLive ? 0 : 1)
        guard dead * 2 > rest.count + 1 else { return }
        var live = rest.filter { $0.dependent != Observer<Value>.tombstone }
        if !firstIsLive {
            first = live.removeFirst()
        }
        rest = live
        index.positions.removeAll(keepingCapacity: true)
        for (position, observer) in rest.enumerated() {
            index.positions[observer.dependent] = position
        }
        index.tombstones = 0
    }

    /// Calls every observer with `result`, in registration order.
    @inlinable
    func run(with result: Result<Value, any Error>) {
        guard let head = first else { return }
        if head.dependent != Observer<Value>.tombstone { head.callback(result) }
        for observer in rest where observer.dependent != Observer<Value>.tombstone {
            observer.callback(result)
        }
    }
}

// MARK: - ObserverIndex

/// The positions of the dependents in a long observer list (see `ObserverList`). Guarded by the owning
/// Deferred's lock.
@usableFromInline
final class ObserverIndex {
    @usableFromInline var positions: [UInt: Int] = [:]
    @usableFromInline var tombstones = 0

    @usableFromInline
    init() {}
}
