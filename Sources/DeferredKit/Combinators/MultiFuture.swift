// MARK: - MultiFuture

/// A collector: add Deferreds and plain values one by one, then `complete()`; its `deferred` gives every
/// result in the order added — ndb's `MultiFuture`.
///
/// A failure of any added Deferred rejects `deferred` at once, and it then withdraws from the others
/// still pending. `fail(_:)` rejects it early (ndb's `set_exception`). Adding after `complete()` or
/// `fail(_:)`, or completing twice, is a programming error and traps with a message. Cancelling
/// `deferred` withdraws from every pending input. The same Deferred may be added more than once.
///
/// ```swift
/// let batch = MultiFuture<User>()
/// for id in ids { batch.add(fetchUser(id)) }
/// batch.put(.guest)
/// batch.complete()
/// let users = try await batch.deferred.value   // in the order added
/// ```
public final class MultiFuture<Value: Sendable>: Sendable {
    /// The results, in the order added, once `complete()` was called and every input has resolved.
    public let deferred: Deferred<[Value]>

    private let combination: Combination<MultiRule<Value>>

    /// Creates an empty collector.
    ///
    /// ```swift
    /// let batch = MultiFuture<Int>()
    /// ```
    public init(file: StaticString = #fileID, line: UInt = #line) {
        combination = Combination(MultiRule<Value>())
        deferred = combination.makeOutput(file: file, line: line)
    }

    // MARK: Adding

    /// Adds `input`: its value takes the next position in the result.
    ///
    /// ```swift
    /// batch.add(fetchUser(id))
    /// ```
    public func add(_ input: Deferred<Value>) {
        combination.attach(input, to: deferred) { $0.checkOpen("add(_:)") }
    }

    /// Adds a value that is already known: it takes the next position in the result.
    ///
    /// ```swift
    /// batch.put(cachedUser)
    /// ```
    public func put(_ value: Value, file: StaticString = #fileID, line: UInt = #line) {
        add(.resolved(value, file: file, line: line))
    }

    // MARK: Finishing

    /// Declares that nothing more will be added: `deferred` resolves once every input has resolved (at
    /// once if they all have). Calling it twice, or after `fail(_:)`, traps.
    ///
    /// ```swift
    /// batch.complete()
    /// ```
    public func complete() {
        combination.lock.withLock {
            combination.rule.checkOpen("complete()")
            combination.rule.isClosed = true
        }
        combination.close(deferred)
    }

    /// Rejects `deferred` with `error` now and withdraws from every pending input (ndb's
    /// `set_exception`). Nothing may be added afterwards.
    ///
    /// ```swift
    /// batch.fail(QuotaExceeded())
    /// ```
    public func fail(_ error: any Error) {
        combination.lock.withLock {
            combination.rule.checkOpen("fail(_:)")
            combination.rule.isClosed = true
            combination.rule.failure = error
        }
        combination.close(deferred)
    }
}

// MARK: - MultiRule

/// `MultiFuture`: values in the order added; the first error decides; otherwise decide when closed and
/// nothing is pending.
@usableFromInline
struct MultiRule<Input: Sendable>: CombinationRule {
    @usableFromInline var collected = OrderedValues<Input>()
    @usableFromInline var isClosed = false
    @usableFromInline var failure: (any Error)?

    @inlinable init() {}

    func checkOpen(_ operation: String) {
        precondition(!isClosed, "MultiFuture.\(operation) called after complete() or fail(_:)")
    }

    @inlinable
    mutating func start() -> Result<[Input], any Error>? { nil }

    @inlinable
    mutating func slotAdded(at index: Int) {
        collected.addSlot()
    }

    @inlinable
    mutating func receive(_ result: Result<Input, any Error>, at index: Int) -> Result<[Input], any Error>? {
        switch result {
        case .success(let value):
            collected.store(value, at: index)
            return isClosed && collected.isFull ? .success(collected.collect()) : nil
        case .failure(let error):
            return .failure(error)
        }
    }

    @inlinable
    mutating func takeLeftovers() -> ([Input?], (any Error)?) {
        defer { failure = nil }
        return (collected.take(), failure)
    }

    @inlinable
    mutating func close() -> Result<[Input], any Error>? {
        if let failure {
            return .failure(failure)
        }
        return collected.isFull ? .success(collected.collect()) : nil
    }
}
