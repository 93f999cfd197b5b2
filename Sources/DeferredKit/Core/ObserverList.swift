// MARK: - Observer

/// One registered observer of a Deferred, with the identity of the dependent it belongs to.
///
/// `dependent == Observer.permanent` marks a *permanent* observer (`whenComplete`): it never withdraws,
/// so a Deferred that has one is never cancelled on behalf of its dependents. `Observer.passive` marks an
/// observer that expresses no interest at all (a pool tracking a Deferred, an event channel that ends at
/// completion): it neither keeps the Deferred from being cancelled nor counts as a dependent. Any other
/// value names a withdrawable dependent (a derived Deferred, an awaiting task, a combinator) that can take
/// its observer back.
@usableFromInline
struct Observer<Value: Sendable>: Sendable {
    /// The identity of a `whenComplete` observer.
    @usableFromInline static var permanent: UInt { 0 }
    /// The identity of an observer that expresses no interest.
    @usableFromInline static var passive: UInt { 1 }

    @usableFromInline let dependent: UInt
    @usableFromInline let callback: @Sendable (Result<Value, any Error>) -> Void

    @inlinable
    init(dependent: UInt, callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        self.dependent = dependent
        self.callback = callback
    }
}

// MARK: - ObserverList

/// The observers of one Deferred, in registration order. The first one is stored inline, so the common
/// case — a Deferred with a single observer — needs no array.
@usableFromInline
struct ObserverList<Value: Sendable>: Sendable {
    @usableFromInline var first: Observer<Value>?
    @usableFromInline var rest: [Observer<Value>]

    @inlinable
    init() {
        first = nil
        rest = []
    }

    @inlinable
    var isEmpty: Bool { first == nil }

    @inlinable
    mutating func append(_ observer: Observer<Value>) {
        if first == nil {
            first = observer
        } else {
            rest.append(observer)
        }
    }

    /// Takes every observer out, leaving the list empty.
    @inlinable
    mutating func takeAll() -> ObserverList<Value> {
        let taken = self
        self = ObserverList()
        return taken
    }

    /// Removes the observer of `dependent`, keeping the others in order.
    @usableFromInline
    mutating func remove(dependent: UInt) -> Observer<Value>? {
        guard let head = first else { return nil }
        if head.dependent == dependent {
            first = rest.isEmpty ? nil : rest.removeFirst()
            return head
        }
        guard let index = rest.firstIndex(where: { $0.dependent == dependent }) else { return nil }
        return rest.remove(at: index)
    }

    @usableFromInline
    func contains(dependent: UInt) -> Bool {
        first?.dependent == dependent || rest.contains { $0.dependent == dependent }
    }

    /// Calls every observer with `result`, in registration order.
    @inlinable
    func run(with result: Result<Value, any Error>) {
        guard let head = first else { return }
        head.callback(result)
        for observer in rest {
            observer.callback(result)
        }
    }

    /// The callbacks, type-erased, so that a dropped pending chain can be released iteratively.
    @usableFromInline
    func erasedCallbacks() -> [Any] {
        guard let head = first else { return [] }
        return [head.callback] + rest.map { $0.callback }
    }
}
