// MARK: - TokenGate

/// The state machine shared by `DeferredLock` (one token) and `DeferredSemaphore` (N tokens).
///
/// Transitions, all under `lock`:
/// - **acquire, token free and nobody waiting** → take a token; the caller gets this gate's `granted`
///   Deferred (resolved once, at creation: no allocation per acquire, and no object shared by every
///   lock of the process).
/// - **acquire, no token free** → append a pending Deferred to `waiters` (first-in first-out).
/// - **release, somebody waiting** → the token passes *straight* to the oldest waiter (the free count
///   does not change); the waiter's Deferred is resolved after the lock is left, so that a release made
///   inside a waiter's observer is queued by the firing loop instead of recursing.
/// - **release, nobody waiting** → the token becomes free.
/// - **cancel of a waiting acquire** → its canceller removes it from `waiters` (by ticket); the core
///   then rejects it with `CancellationError`.
/// - **race: a waiter cancelled after release picked it** → its `resolve` returns `false`; the releaser
///   passes the same token on to the next waiter (loop, not recursion).
@usableFromInline
final class TokenGate: @unchecked Sendable {
    // `available` and `waiters` are guarded by `lock`.
    @usableFromInline let lock = InternalLock()
    @usableFromInline var available: Int
    @usableFromInline var waiters = WaiterQueue<Deferred<Void>>()
    @usableFromInline let limit: Int
    /// Names the owning type in precondition messages.
    @usableFromInline let owner: StaticString

    /// What an acquire that succeeds at once returns. A completed Deferred never changes and stores no
    /// observers (they run at once), so one instance per gate serves every uncontended acquire without an
    /// allocation. It is owned by the library, so nobody can complete it, and it belongs to this gate
    /// alone, so uncontended acquires of different locks never touch the same object.
    @usableFromInline let granted: Deferred<Void>

    @usableFromInline
    init(limit: Int, owner: StaticString, site: CallSite) {
        self.limit = limit
        self.available = limit
        self.owner = owner
        granted = Deferred<Void>(owned: site)
        granted.completeAsOwner(.success(()))
    }

    // MARK: Acquiring and releasing

    @usableFromInline
    func acquire(file: StaticString, line: UInt) -> Deferred<Void> {
        let waiter = lock.withLock { () -> Deferred<Void>? in
            if available > 0, waiters.isEmpty {
                available -= 1
                return nil
            }
            let ticket = waiters.nextTicket
            let waiter = Deferred<Void>(owned: CallSite(file, line)) { [weak self] _ in self?.withdraw(ticket) }
            waiters.append(waiter)
            return waiter
        }
        return waiter ?? granted
    }

    @usableFromInline
    func release() {
        while true {
            let next = lock.withLock { () -> Deferred<Void>?? in
                if available >= limit { return .none }  // nothing is held: misuse
                if let waiter = waiters.popFirst() { return .some(waiter) }
                available += 1
                return .some(nil)
            }
            guard let next else {
                preconditionFailure("\(owner).release() called when no token is held (more releases than acquires)")
            }
            guard let next else { return }
            if next.completeAsOwner(.success(())) { return }
            // `next` was cancelled after it left the line: the token goes on to the following waiter.
        }
    }

    /// Takes a cancelled waiter out of the line, if release has not picked it yet.
    @usableFromInline
    func withdraw(_ ticket: UInt64) {
        let removed = lock.withLock { waiters.remove(ticket: ticket) }
        _ = removed  // released outside the lock
    }

    @usableFromInline
    var snapshot: (available: Int, waiting: Int) {
        lock.withLock { (available, waiters.count) }
    }

    // MARK: Running bodies

    @usableFromInline
    func run<T>(file: StaticString, line: UInt, _ body: @escaping @Sendable () throws -> T) -> Deferred<T> {
        acquire(file: file, line: line).map(file: file, line: line) { _ in
            defer { self.release() }
            return try body()
        }
    }

    @usableFromInline
    func runDeferred<T>(
        file: StaticString, line: UInt, _ body: @escaping @Sendable () throws -> Deferred<T>
    ) -> Deferred<T> {
        acquire(file: file, line: line).flatMap(file: file, line: line) { _ in
            let inner: Deferred<T>
            do {
                inner = try body()
            } catch {
                self.release()
                throw error
            }
            // Passive: a caller that withdraws must not take the release away with its own observer.
            inner.addPassiveObserver { _ in self.release() }
            return inner
        }
    }

    @usableFromInline
    func runAsync<T>(
        file: StaticString, line: UInt, _ body: @escaping @Sendable () async throws -> T
    ) -> Deferred<T> {
        runDeferred(file: file, line: line) {
            Deferred<T>(isolation: nil, file: file, line: line) { try await body() }
        }
    }

    @usableFromInline
    nonisolated(nonsending) func withToken<T>(
        file: StaticString, line: UInt, _ body: nonisolated(nonsending) () async throws -> T
    ) async throws -> T {
        try await acquire(file: file, line: line).value
        defer { release() }
        return try await body()
    }
}
