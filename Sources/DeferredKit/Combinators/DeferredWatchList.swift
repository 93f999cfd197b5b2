// MARK: - DeferredWatchList

/// Watches a growing list of Deferreds and tells its observers `(index, result)` as each completes: the
/// building block for combinators of your own.
///
/// Deferreds can be watched at any time; each gets the next index. Before observers hear of a result,
/// `pendingCount` and `history` (when kept) already include it, so an observer can decide from them.
/// Observers run synchronously on the completing thread, outside every lock, in registration order;
/// results of inputs completing on different threads may be reported concurrently.
///
/// The list is a dependent of every pending input: its interest keeps them from being cancelled on
/// behalf of their other dependents, until `cancelAll()`. Every input error it receives counts as handled.
///
/// Observers are released — so one may capture the list without a leak — when removed, or once the
/// list has ended (`finish()` or `cancelAll()`) and no input is pending: no observer can be called again.
///
/// ```swift
/// // Fire when `needed` of the watched Deferreds have succeeded.
/// let list = DeferredWatchList<Int>()
/// let enough = Deferred<Void>()
/// let succeeded = Mutex(0)
/// list.observe { _, result in
///     guard case .success = result else { return }
///     if succeeded.withLock({ $0 += 1; return $0 }) == needed { enough.resolve(()); list.cancelAll() }
/// }
/// for d in work { list.watch(d) }
/// list.finish()
/// ```
public final class DeferredWatchList<Value: Sendable>: Sendable {
    /// One completion: the input's index and its result.
    public typealias Completion = (index: Int, result: Result<Value, any Error>)
    /// An observer's callback.
    public typealias Callback = @Sendable (_ index: Int, _ result: Result<Value, any Error>) -> Void

    /// Names an observer, for `removeObserver(_:)`.
    public struct ObserverID: Hashable, Sendable {
        let rawValue: UInt64
    }

    private struct Slot {
        weak var input: Deferred<Value>?
        var isSettled: Bool
    }

    private struct State {
        var slots: [Slot] = []
        var observers: [(id: ObserverID, callback: Callback)] = []
        var nextObserverID: UInt64 = 0
        var events: [Completion]?
        var pending = 0
        /// `finish()` was called: watching traps.
        var isFinished = false
        /// `cancelAll()` was called: inputs watched later are withdrawn from at once.
        var isWithdrawn = false

        var hasEnded: Bool { (isFinished || isWithdrawn) && pending == 0 }

        /// Once the list has ended, the observers are handed out to be released outside the lock.
        mutating func releaseObserversIfEnded() -> [(id: ObserverID, callback: Callback)] {
            guard hasEnded, !observers.isEmpty else { return [] }
            defer { observers = [] }
            return observers
        }
    }

    private let state: LockedState<State>

    /// Creates an empty list; with `keepsHistory`, it keeps every completion in `history`.
    ///
    /// ```swift
    /// let list = DeferredWatchList<Data>(keepsHistory: true)
    /// ```
    public init(keepsHistory: Bool = false) {
        state = LockedState(State(events: keepsHistory ? [] : nil))
    }

    private var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }

    // MARK: Observing

    /// Adds `observer`, which hears of every completion from now on (not of earlier ones; see `history`),
    /// and returns its identity for `removeObserver(_:)`. An observer added after the list ended is
    /// released at once, never called.
    ///
    /// ```swift
    /// list.observe { index, result in print("#\(index):", result) }
    /// ```
    @discardableResult
    public func observe(_ observer: @escaping Callback) -> ObserverID {
        let (id, rejected) = state.withLock { state -> (ObserverID, Callback?) in
            let id = ObserverID(rawValue: state.nextObserverID)
            state.nextObserverID += 1
            if state.hasEnded { return (id, observer) }
            state.observers.append((id, observer))
            return (id, nil)
        }
        _ = rejected  // released here, outside the lock
        return id
    }

    /// Removes an observer: it is not called for completions reported from now on, and is released
    /// (outside every lock). A call that is already running finishes. Removing twice does nothing.
    ///
    /// ```swift
    /// let id = list.observe { _, _ in … }
    /// list.removeObserver(id)
    /// ```
    public func removeObserver(_ id: ObserverID) {
        let removed = state.withLock { state -> Callback? in
            guard let index = state.observers.firstIndex(where: { $0.id == id }) else { return nil }
            return state.observers.remove(at: index).callback
        }
        _ = removed  // released here, outside the lock
    }

    // MARK: Watching

    /// Starts observing `deferred` and returns its index. If it is already complete, observers hear of it
    /// before this returns. After `cancelAll()`, the list withdraws from it at once. Traps after `finish()`.
    ///
    /// ```swift
    /// let index = list.watch(fetch(url))
    /// ```
    @discardableResult
    public func watch(_ deferred: Deferred<Value>) -> Int {
        let (index, withdrawNow) = state.withLock { state -> (Int, Bool) in
            precondition(!state.isFinished, "DeferredWatchList.watch(_:) called after finish()")
            state.slots.append(Slot(input: deferred, isSettled: false))
            state.pending += 1
            return (state.slots.count - 1, state.isWithdrawn)
        }
        deferred.addDependent(dependentID) { [self] result in
            received(result, at: index)
        }
        if withdrawNow { withdraw(from: deferred, at: index) }
        return index
    }

    /// Declares that nothing more will be watched; once every input has been reported, the observers
    /// are released. Appending afterwards traps.
    ///
    /// ```swift
    /// for d in work { list.watch(d) }
    /// list.finish()
    /// ```
    public func finish() {
        let released = state.withLock { state in
            state.isFinished = true
            return state.releaseObserversIfEnded()
        }
        _ = released  // released here, outside the lock
    }

    /// Withdraws from every pending input, and from every input watched later. An input that nobody
    /// else wants is cancelled, and observers hear of its final result; one that others still want goes
    /// on for them, and observers hear of it as failed with `CancellationError`. Once every input has
    /// been reported, the observers are released.
    ///
    /// ```swift
    /// list.cancelAll()   // we have what we needed
    /// ```
    public func cancelAll() {
        let (pendingInputs, released) = state.withLock { state -> ([(Int, Deferred<Value>)], [(id: ObserverID, callback: Callback)]) in
            state.isWithdrawn = true
            let pending = state.slots.indices.compactMap { index in
                state.slots[index].isSettled ? nil : state.slots[index].input.map { (index, $0) }
            }
            return (pending, state.releaseObserversIfEnded())
        }
        _ = released  // released here, outside the lock
        for (index, input) in pendingInputs {
            withdraw(from: input, at: index)
        }
    }

    private func withdraw(from input: Deferred<Value>, at index: Int) {
        input.withdrawDependent(dependentID) { [self] _ in
            // Removed without running: the input goes on for others; it counts as cancelled for us.
            received(.failure(CancellationError()), at: index)
        }
    }

    // MARK: Inspecting

    /// How many watched inputs have not been reported yet.
    ///
    /// ```swift
    /// if list.pendingCount == 0 { print("all done") }
    /// ```
    public var pendingCount: Int { state.withLock { $0.pending } }

    /// How many inputs were watched.
    ///
    /// ```swift
    /// print(list.count)
    /// ```
    public var count: Int { state.withLock { $0.slots.count } }

    /// Every completion so far, in completion order; empty unless created with `keepsHistory: true`.
    ///
    /// ```swift
    /// for (index, result) in list.history { print(index, result) }
    /// ```
    public var history: [Completion] { state.withLock { $0.events ?? [] } }

    // MARK: Receiving

    private func received(_ result: Result<Value, any Error>, at index: Int) {
        let toNotify = state.withLock { state -> [(id: ObserverID, callback: Callback)] in
            guard !state.slots[index].isSettled else { return [] }
            state.slots[index].isSettled = true
            state.slots[index].input = nil
            state.pending -= 1
            state.events?.append((index, result))
            let released = state.releaseObserversIfEnded()
            return released.isEmpty ? state.observers : released
        }
        for observer in toNotify {
            observer.callback(index, result)
        }
    }
}
