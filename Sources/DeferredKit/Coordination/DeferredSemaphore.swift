// MARK: - DeferredSemaphore

/// An asynchronous counting semaphore: at most `tokens` holders at a time; `acquire()` returns a Deferred
/// that completes when the caller holds a token.
///
/// It behaves exactly like `DeferredLock` with N tokens: waiters are served first-in first-out, `release()`
/// hands the token straight to the next waiter, release storms do not recurse, and cancelling a pending
/// `acquire()` removes that waiter. The Deferreds `acquire()` returns are the semaphore's own:
/// `resolve`/`reject` on them return `false` and change nothing (reported as `.completedByNonOwner`).
///
/// ```swift
/// let downloads = DeferredSemaphore(tokens: 4)
/// let pages = urls.map { url in downloads.run { try await fetch(url) } }   // 4 at a time
/// ```
public final class DeferredSemaphore: Sendable {
    let gate: TokenGate

    /// Creates a semaphore with `tokens` tokens, all free. `file` and `line` name it in diagnostics about
    /// the Deferred an uncontended `acquire()` returns.
    ///
    /// A count below 1 is a programming error and stops the program with a precondition failure
    /// ("DeferredSemaphore(tokens:) needs at least 1 token").
    ///
    /// ```swift
    /// let pool = DeferredSemaphore(tokens: 3)
    /// ```
    public init(tokens: Int, file: StaticString = #fileID, line: UInt = #line) {
        precondition(tokens >= 1, "DeferredSemaphore(tokens:) needs at least 1 token (got \(tokens))")
        gate = TokenGate(limit: tokens, owner: "DeferredSemaphore", site: DeferredCallSite(file, line))
    }

    // MARK: State

    /// The number of tokens the semaphore was created with.
    ///
    /// ```swift
    /// print(semaphore.tokens)   // 3
    /// ```
    public var tokens: Int { gate.limit }

    /// How many tokens are free right now.
    ///
    /// ```swift
    /// if semaphore.availableTokens == 0 { print("saturated") }
    /// ```
    public var availableTokens: Int { gate.snapshot.available }

    /// How many `acquire()`s are waiting for a token.
    ///
    /// ```swift
    /// print("\(semaphore.waitingCount) queued")
    /// ```
    public var waitingCount: Int { gate.snapshot.waiting }

    // MARK: Acquiring and releasing

    /// A Deferred that completes when the caller holds a token (already resolved when one is free and
    /// nobody waits). The caller must `release()` exactly once after it resolves.
    ///
    /// ```swift
    /// semaphore.acquire().whenComplete { _ in work(); semaphore.release() }
    /// ```
    public func acquire(file: StaticString = #fileID, line: UInt = #line) -> Deferred<Void> {
        gate.acquire(file: file, line: line)
    }

    /// Returns a token, handing it to the oldest waiter if there is one.
    ///
    /// Releasing when no token is held is a precondition failure
    /// ("DeferredSemaphore.release() called when no token is held").
    ///
    /// ```swift
    /// try await semaphore.acquire().value
    /// defer { semaphore.release() }
    /// ```
    public func release() {
        gate.release()
    }

    // MARK: Running a body with a token

    /// Runs `body` while holding a token and releases it afterwards, whatever the outcome.
    ///
    /// ```swift
    /// let thumbnail = semaphore.run { try render(image) }
    /// ```
    public func run<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: @escaping @Sendable () throws -> T
    ) -> Deferred<T> {
        gate.run(file: file, line: line, body)
    }

    /// Runs a Deferred-returning `body` while holding a token, and releases the token when that Deferred
    /// completes (or when `body` throws). The result passes through unchanged.
    ///
    /// ```swift
    /// let page = semaphore.run { client.get(url) }   // client.get returns Deferred<Data>
    /// ```
    public func run<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: @escaping @Sendable () throws -> Deferred<T>
    ) -> Deferred<T> {
        gate.runDeferred(file: file, line: line, body)
    }

    /// Runs an async `body` while holding a token, and releases it when the body returns or throws.
    ///
    /// ```swift
    /// let page = semaphore.run { try await fetch(url) }
    /// ```
    public func run<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: @escaping @Sendable () async throws -> T
    ) -> Deferred<T> {
        gate.runAsync(file: file, line: line, body)
    }

    /// The async form: waits for a token, runs `body` on the caller's isolation, returns the token, and
    /// returns what `body` returns (or rethrows its error).
    ///
    /// ```swift
    /// let page = try await semaphore.withToken { try await fetch(url) }
    /// ```
    public nonisolated(nonsending) func withToken<T>(
        file: StaticString = #fileID, line: UInt = #line, _ body: nonisolated(nonsending) () async throws -> T
    ) async throws -> T {
        try await gate.withToken(file: file, line: line, body)
    }
}
