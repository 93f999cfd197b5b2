// MARK: - DeferredPool

/// Tracks Deferreds until they complete and tells you when none is left — the graceful-shutdown helper.
///
/// `add` watches a Deferred without changing its result and without expressing interest in it (the pool
/// never keeps a Deferred from being cancelled). `notifyWhenEmpty()` returns a Deferred that completes
/// when the pool is empty; the pool can fill and drain any number of times.
///
/// ```swift
/// let inFlight = DeferredPool()
/// func handle(_ request: Request) -> Deferred<Response> { inFlight.add(process(request)) }
/// // on shutdown: stop accepting requests, then
/// try await inFlight.waitUntilEmpty()
/// ```
public final class DeferredPool: @unchecked Sendable {
    // `members` and `waiters` are guarded by `lock`.
    @usableFromInline let lock = InternalLock()
    @usableFromInline var members: Set<ObjectIdentifier> = []
    @usableFromInline var waiters = WaiterQueue<Deferred<Void>>()

    /// Creates an empty pool.
    ///
    /// ```swift
    /// let pool = DeferredPool()
    /// ```
    public init() {}

    // MARK: Tracking

    /// Tracks `deferred` until it completes, and returns it unchanged (so that `add` can wrap a call).
    ///
    /// Adding a Deferred that is already in the pool, or already complete, does not change the count.
    ///
    /// ```swift
    /// let reply = pool.add(send(message))
    /// ```
    @discardableResult
    public func add<T>(_ deferred: Deferred<T>) -> Deferred<T> {
        // A complete Deferred is never tracked: counting it would make its (immediate) removal look like
        // the pool becoming empty, and fire the notifications that wait for the next drain.
        if deferred.isComplete { return deferred }
        let id = ObjectIdentifier(deferred)
        let inserted = lock.withLock { members.insert(id).inserted }
        if inserted {
            deferred.addPassiveObserver { [self] _ in remove(id) }
        }
        return deferred
    }

    @usableFromInline
    func remove(_ id: ObjectIdentifier) {
        let ready = lock.withLock { () -> [Deferred<Void>] in
            members.remove(id)
            return members.isEmpty ? waiters.removeAll() : []
        }
        for waiter in ready { waiter.completeAsOwner(.success(())) }
    }

    /// How many tracked Deferreds are still pending.
    ///
    /// ```swift
    /// print("\(pool.count) requests in flight")
    /// ```
    public var count: Int { lock.withLock { members.count } }

    // MARK: Waiting for empty

    /// A Deferred that completes (with `()`) when the pool is empty.
    ///
    /// With `testImmediately` (the default) an empty pool gives an already-resolved Deferred; without it,
    /// the Deferred completes the next time the pool *becomes* empty after a tracked Deferred completes.
    /// Cancelling the returned Deferred just stops that notification.
    ///
    /// ```swift
    /// pool.notifyWhenEmpty().whenComplete { _ in print("all done") }
    /// ```
    public func notifyWhenEmpty(
        testImmediately: Bool = true, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Void> {
        let waiter = lock.withLock { () -> Deferred<Void>? in
            if testImmediately, members.isEmpty { return nil }
            let ticket = waiters.nextTicket
            let waiter = Deferred<Void>(owned: CallSite(file, line)) { [weak self] _ in self?.withdraw(ticket) }
            waiters.append(waiter)
            return waiter
        }
        return waiter ?? .owned(completedWith: .success(()), at: CallSite(file, line))
    }

    /// The async form of `notifyWhenEmpty()`: returns when the pool is empty.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    ///
    /// ```swift
    /// try await pool.waitUntilEmpty()
    /// ```
    public nonisolated(nonsending) func waitUntilEmpty(
        testImmediately: Bool = true, file: StaticString = #fileID, line: UInt = #line
    ) async throws {
        try await notifyWhenEmpty(testImmediately: testImmediately, file: file, line: line).value
    }

    @usableFromInline
    func withdraw(_ ticket: UInt64) {
        let removed = lock.withLock { waiters.remove(ticket: ticket) }
        _ = removed
    }
}
