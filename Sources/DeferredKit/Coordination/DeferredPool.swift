// MARK: - DeferredPool

/// Tracks Deferreds until they complete and tells you when none is left: the graceful-shutdown helper.
///
/// `add` watches a Deferred without changing its result and without expressing interest in it (the pool
/// never keeps a Deferred from being cancelled). `whenEmpty()` returns a Deferred that completes when the
/// pool is empty; `whenNextEmptied()` one that completes the next time it *becomes* empty. The pool can
/// fill and drain any number of times.
///
/// ```swift
/// let inFlight = DeferredPool()
/// func handle(_ request: Request) -> Deferred<Response> { inFlight.add(process(request)) }
/// // on shutdown: stop accepting requests, then
/// try await inFlight.waitUntilEmpty()
/// ```
///
/// The notifications complete on the thread that completed the last tracked Deferred, outside the
/// pool's lock. They are the pool's own: `resolve`/`reject` on one return `false` and change nothing.
public final class DeferredPool: Sendable {
    struct State {
        /// The pending Deferreds tracked.
        var members: Set<ObjectIdentifier> = []
        /// Notifications waiting for the pool to become empty, oldest first.
        var waiters = WaiterQueue<Deferred<Void>>()
    }

    let state = LockedState(State())

    /// Creates an empty pool.
    ///
    /// ```swift
    /// let pool = DeferredPool()
    /// ```
    public init() {}

    // MARK: Tracking

    /// Tracks `deferred` until it completes, and returns it unchanged (so that `add` can wrap a call).
    ///
    /// Adding a Deferred that is already in the pool, or already complete, does not change the count
    /// and completes no notification.
    ///
    /// ```swift
    /// let reply = pool.add(send(message))
    /// ```
    @discardableResult
    public func add<T>(_ deferred: Deferred<T>) -> Deferred<T> {
        // A complete Deferred is never tracked: counting it would make its (immediate) removal look like
        // the pool becoming empty, and complete the notifications that wait for the next drain.
        if deferred.isComplete { return deferred }
        let id = ObjectIdentifier(deferred)
        let inserted = state.withLock { $0.members.insert(id).inserted }
        if inserted {
            deferred.addPassiveObserver { [self] _ in remove(id) }
        }
        return deferred
    }

    func remove(_ id: ObjectIdentifier) {
        let ready = state.withLock { state -> [Deferred<Void>] in
            state.members.remove(id)
            return state.members.isEmpty ? state.waiters.removeAll() : []
        }
        for waiter in ready { waiter.completeAsOwner(.success(())) }
    }

    /// How many tracked Deferreds are still pending.
    ///
    /// ```swift
    /// print("\(pool.count) requests in flight")
    /// ```
    public var count: Int { state.withLock { $0.members.count } }

    // MARK: Waiting for empty

    /// A Deferred that completes (with `()`) when the pool is empty: at once if it is empty now,
    /// otherwise when its last tracked Deferred completes.
    ///
    /// Cancelling the returned Deferred just stops that notification.
    ///
    /// ```swift
    /// pool.whenEmpty().whenComplete { _ in print("all done") }
    /// ```
    public func whenEmpty(file: StaticString = #fileID, line: UInt = #line) -> Deferred<Void> {
        notification(completingIfEmptyNow: true, site: DeferredCallSite(file, line))
    }

    /// A Deferred that completes (with `()`) the next time the pool becomes empty, when a tracked Deferred
    /// completes and no other is left, even if the pool is empty now.
    ///
    /// Cancelling the returned Deferred just stops that notification.
    ///
    /// ```swift
    /// let drained = pool.whenNextEmptied()
    /// startBatch(into: pool)   // `drained` completes when the whole batch has
    /// ```
    public func whenNextEmptied(file: StaticString = #fileID, line: UInt = #line) -> Deferred<Void> {
        notification(completingIfEmptyNow: false, site: DeferredCallSite(file, line))
    }

    /// The async form of `whenEmpty()`: returns when the pool is empty.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    ///
    /// ```swift
    /// try await pool.waitUntilEmpty()
    /// ```
    public nonisolated(nonsending) func waitUntilEmpty(file: StaticString = #fileID, line: UInt = #line) async throws {
        try await whenEmpty(file: file, line: line).value
    }

    func notification(completingIfEmptyNow: Bool, site: DeferredCallSite) -> Deferred<Void> {
        let waiter = state.withLock { state -> Deferred<Void>? in
            if completingIfEmptyNow, state.members.isEmpty { return nil }
            let ticket = state.waiters.nextTicket
            let waiter = Deferred<Void>(owned: site) { [weak self] _ in self?.withdraw(ticket: ticket) }
            state.waiters.append(waiter)
            return waiter
        }
        return waiter ?? .owned(completedWith: .success(()), at: site)
    }

    func withdraw(ticket: UInt64) {
        let removed = state.withLock { $0.waiters.remove(ticket: ticket) }
        _ = removed  // released here, after the lock
    }
}
