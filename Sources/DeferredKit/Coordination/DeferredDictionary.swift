// MARK: - DeferredDictionary

/// A dictionary whose lookups return Deferreds: looking up a key that is not there yet gives a Deferred
/// that completes when the key is set.
///
/// It sits between a producer that fills entries in its own order and consumers that ask in theirs.
/// Setting a key completes every waiter for it (in the order they asked); removing a key works as for a
/// dictionary; cancelling one waiter removes just that waiter.
///
/// Waiters' observers run on the thread that sets the key, outside the dictionary's lock. The Deferreds
/// lookups return are the dictionary's own: `resolve`/`reject` on one return `false` and change nothing.
///
/// ```swift
/// let users = DeferredDictionary<UserID, User>()
/// users[42].whenComplete { print($0) }   // waits
/// users.updateValue(alice, forKey: 42)   // prints success(alice)
/// let bob = try await users.value(for: 7)
/// ```
public final class DeferredDictionary<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    struct State {
        /// The entries present.
        var storage: [Key: Value]
        /// Lookups waiting for a missing key, per key, oldest first. A key's line goes when it empties.
        var waiters: [Key: WaiterQueue<Deferred<Value>>] = [:]
    }

    let state: LockedState<State>

    /// Creates a dictionary with the given entries.
    ///
    /// ```swift
    /// let settings = DeferredDictionary<String, Int>(["retries": 3])
    /// ```
    public init(_ entries: [Key: Value] = [:]) {
        state = LockedState(State(storage: entries))
    }

    // MARK: Looking up

    /// A Deferred for the value of `key`: already resolved when the key is present, otherwise resolved
    /// when the key is set.
    ///
    /// Cancelling a pending lookup removes just that waiter and rejects it with `CancellationError`.
    ///
    /// ```swift
    /// dictionary["config"].map { parse($0) }
    /// ```
    public subscript(key: Key, file: StaticString = #fileID, line: UInt = #line) -> Deferred<Value> {
        lookup(key, file: file, line: line)
    }

    /// The same as the subscript, with the caller's location recorded for diagnostics.
    ///
    /// ```swift
    /// let config = dictionary.deferredValue(for: "config")
    /// ```
    public func deferredValue(for key: Key, file: StaticString = #fileID, line: UInt = #line) -> Deferred<Value> {
        lookup(key, file: file, line: line)
    }

    /// The async form: the value of `key`, waiting until it is set.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting (the waiter is removed).
    ///
    /// ```swift
    /// let config = try await dictionary.value(for: "config")
    /// ```
    public nonisolated(nonsending) func value(
        for key: Key, file: StaticString = #fileID, line: UInt = #line
    ) async throws -> Value {
        try await lookup(key, file: file, line: line).value
    }

    enum Lookup { case present(Value), waiting(Deferred<Value>) }

    func lookup(_ key: Key, file: StaticString, line: UInt) -> Deferred<Value> {
        let outcome = state.withLock { state -> Lookup in
            if let value = state.storage[key] { return .present(value) }
            let ticket = state.waiters[key, default: WaiterQueue()].nextTicket
            let waiter = Deferred<Value>(owned: DeferredCallSite(file, line)) { [weak self] me in self?.withdraw(me, key, ticket) }
            state.waiters[key, default: WaiterQueue()].append(waiter)
            return .waiting(waiter)
        }
        switch outcome {
        case .present(let value): return .owned(completedWith: .success(value), at: DeferredCallSite(file, line))
        case .waiting(let waiter): return waiter
        }
    }

    /// The current value of `key`, if present — the synchronous view.
    ///
    /// ```swift
    /// if let cached = dictionary.currentValue(for: key) { use(cached) }
    /// ```
    public func currentValue(for key: Key) -> Value? {
        state.withLock { $0.storage[key] }
    }

    // MARK: Changing

    /// Sets the value of `key` and completes every waiter for it. Returns the value it replaced, if any.
    ///
    /// ```swift
    /// dictionary.updateValue(user, forKey: user.id)
    /// ```
    @discardableResult
    public func updateValue(_ value: Value, forKey key: Key) -> Value? {
        // The replaced value and the waiters' line (with its copy of the key) leave the lock whole and are
        // released after it: a key's or a value's deinit may be user code.
        let (old, line) = state.withLock { state -> (Value?, (key: Key, value: WaiterQueue<Deferred<Value>>)?) in
            let old = state.storage.updateValue(value, forKey: key)
            guard let index = state.waiters.index(forKey: key) else { return (old, nil) }
            return (old, state.waiters.remove(at: index))
        }
        if var line {
            while let waiter = line.value.popFirst() { waiter.completeAsOwner(.success(value)) }
        }
        return old
    }

    /// Removes `key` and returns its value, if present; waiters for a missing key keep waiting.
    ///
    /// ```swift
    /// let evicted = dictionary.removeValue(forKey: key)
    /// ```
    @discardableResult
    public func removeValue(forKey key: Key) -> Value? {
        // The stored key and value are moved out and released after unlocking (their deinit may be user code).
        let removed = state.withLock { state -> (key: Key, value: Value)? in
            guard let index = state.storage.index(forKey: key) else { return nil }
            return state.storage.remove(at: index)
        }
        return removed?.value
    }

    // MARK: Inspecting

    /// The number of keys present.
    ///
    /// ```swift
    /// print(dictionary.count)
    /// ```
    public var count: Int { state.withLock { $0.storage.count } }

    /// The keys present, in no particular order.
    ///
    /// ```swift
    /// for key in dictionary.keys { print(key) }
    /// ```
    public var keys: [Key] { state.withLock { Array($0.storage.keys) } }

    /// How many lookups of `key` are waiting.
    ///
    /// ```swift
    /// print(dictionary.waitingCount(for: "config"))
    /// ```
    public func waitingCount(for key: Key) -> Int {
        state.withLock { $0.waiters[key]?.count ?? 0 }
    }

    func withdraw(_ waiter: Deferred<Value>, _ key: Key, _ ticket: UInt64) {
        // A key's line is dropped when it empties and a new one restarts its tickets: check identity too.
        // The removed waiter, and the emptied line with its copy of the key, are released after unlocking.
        let removed = state.withLock { state -> (Deferred<Value>?, (key: Key, value: WaiterQueue<Deferred<Value>>)?) in
            guard let index = state.waiters.index(forKey: key) else { return (nil, nil) }
            let removed = state.waiters.values[index].remove(ticket: ticket, if: { $0 === waiter })
            return (removed, state.waiters.values[index].isEmpty ? state.waiters.remove(at: index) : nil)
        }
        _ = removed
    }
}
