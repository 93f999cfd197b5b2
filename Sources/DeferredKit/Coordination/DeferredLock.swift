// MARK: - DeferredLock

/// An asynchronous mutual-exclusion lock: `acquire()` never blocks, it returns a Deferred that completes
/// when the lock is yours.
///
/// Waiters are served first-in first-out, and `release()` hands the lock straight to the next waiter
/// (it is never free in between, so nobody can overtake the line). The next waiter's Deferred completes
/// synchronously inside `release()` — or, when `release()` runs inside an observer, right after it, from
/// the firing loop — so a storm of a million waiters that each release in their own observer runs in
/// constant stack.
///
/// ```swift
/// let lock = DeferredLock()
/// let saved = lock.run { try store.write(record) }          // Deferred form
/// let count = try await lock.withLock { await store.count }  // async form
/// ```
///
/// Cancelling a pending `acquire()` takes that waiter out of the line and rejects it with
/// `CancellationError`; cancelling one that has already acquired does nothing (you still hold the lock
/// and must release it). The Deferreds `acquire()` returns are the lock's own: `resolve`/`reject` on
/// them return `false` and change nothing (reported as `.completedByNonOwner`).
///
/// Misuse traps: `release()` without a matching acquire stops the program with a precondition failure.
public final class DeferredLock: Sendable {
    let gate: TokenGate

    /// Creates an unlocked lock. `file` and `line` name it in diagnostics about the Deferred an
    /// uncontended `acquire()` returns.
    ///
    /// ```swift
    /// let lock = DeferredLock()
    /// ```
    public init(file: StaticString = #fileID, line: UInt = #line) {
        gate = TokenGate(limit: 1, owner: "DeferredLock", site: DeferredCallSite(file, line))
    }

    // MARK: Acquiring and releasing

    /// A Deferred that completes when the caller holds the lock: already resolved when the lock is free
    /// and nobody waits, otherwise resolved when every earlier waiter has released it.
    ///
    /// The caller must call `release()` exactly once after it resolves.
    ///
    /// ```swift
    /// lock.acquire().whenComplete { _ in
    ///     counter += 1
    ///     lock.release()
    /// }
    /// ```
    public func acquire(file: StaticString = #fileID, line: UInt = #line) -> Deferred<Void> {
        gate.acquire(file: file, line: line)
    }

    /// Releases the lock, handing it to the oldest waiter if there is one.
    ///
    /// Releasing a lock that is not held is a programming error and stops the program with a
    /// precondition failure ("DeferredLock.release() called when no token is held").
    ///
    /// ```swift
    /// try await lock.acquire().value
    /// defer { lock.release() }
    /// ```
    public func release() {
        gate.release()
    }

    /// Whether the lock is held (by anyone).
    ///
    /// ```swift
    /// if !lock.isLocked { print("free") }
    /// ```
    public var isLocked: Bool {
        gate.snapshot.available == 0
    }

    /// How many `acquire()`s are waiting for the lock.
    ///
    /// ```swift
    /// print("\(lock.waitingCount) callers queued")
    /// ```
    public var waitingCount: Int {
        gate.snapshot.waiting
    }

    // MARK: Running a body under the lock

    /// Runs `body` while holding the lock and releases it afterwards, whatever the outcome.
    ///
    /// The result is `body`'s value, or the error it threw. `body` runs on the thread that hands over
    /// the lock (at once, if it is free).
    ///
    /// ```swift
    /// let next = lock.run { counter.increment() }
    /// ```
    public func run<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: @escaping @Sendable () throws -> T
    ) -> Deferred<T> {
        gate.run(file: file, line: line, body)
    }

    /// Runs a Deferred-returning `body` while holding the lock, and releases the lock when the Deferred it
    /// returned completes (or when `body` throws). The result passes through unchanged.
    ///
    /// Cancelling the returned Deferred while it waits for the lock removes it from the line; once `body`
    /// ran, it withdraws from `body`'s Deferred, and the lock is released when that one completes.
    ///
    /// ```swift
    /// let written = lock.run { file.write(data) }   // file.write returns Deferred<Void>
    /// ```
    public func run<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: @escaping @Sendable () throws -> Deferred<T>
    ) -> Deferred<T> {
        gate.runDeferred(file: file, line: line, body)
    }

    /// Runs an async `body` while holding the lock, and releases it when the body returns or throws.
    ///
    /// The body starts synchronously when the lock is handed over, until its first suspension.
    /// Cancelling the returned Deferred cancels the body's task once it runs.
    ///
    /// ```swift
    /// let saved = lock.run { try await database.save(record) }
    /// ```
    public func run<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: @escaping @Sendable () async throws -> T
    ) -> Deferred<T> {
        gate.runAsync(file: file, line: line, body)
    }

    /// The async form: waits for the lock, runs `body` on the caller's isolation, releases the lock, and
    /// returns what `body` returns (or rethrows its error).
    ///
    /// If the calling task is cancelled while waiting, this throws `CancellationError` without running
    /// `body`.
    ///
    /// ```swift
    /// let balance = try await lock.withLock { try await account.withdraw(10) }
    /// ```
    public nonisolated(nonsending) func withLock<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: nonisolated(nonsending) () async throws -> T
    ) async throws -> T {
        try await gate.withToken(file: file, line: line, body)
    }
}
