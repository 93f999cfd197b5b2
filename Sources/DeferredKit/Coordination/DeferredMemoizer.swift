// MARK: - DeferredMemoizer

/// A function whose calls with the same key share one result: while the first call is in flight, later
/// calls wait for it instead of starting the work again (no thundering herd), and a success is cached
/// until cleared. Call it like a function to get a Deferred for a key.
///
/// A failure is evicted, so the next call tries again, unless `cachingFailures` is `true`. A
/// `CancellationError` is never cached. Each caller gets its own Deferred derived from the shared one:
/// cancelling it withdraws only that caller, and the shared work is cancelled when every caller has
/// withdrawn. The Deferreds it hands out are the memoizer's own: a caller's `resolve`/`reject` returns
/// `false` and cannot poison the cache.
///
/// ```swift
/// let profile = DeferredMemoizer { (id: UserID) in api.fetchProfile(id) }
/// let a = profile(42), b = profile(42)   // one request
/// profile.clear()                          // forget everything
/// ```
///
/// Observers run where the shared work completes, outside the memoizer's lock; the function itself is
/// called outside the lock too, on the thread of the first caller for a key.
public final class DeferredMemoizer<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One shared Deferred per key, in flight or complete.
    let cache = LockedState<[Key: Deferred<Value>]>([:])
    let function: @Sendable (Key) throws -> Deferred<Value>
    /// Whether failures (other than cancellation) stay in the cache.
    public let cachingFailures: Bool

    /// Memoizes a Deferred-returning function.
    ///
    /// - Parameters:
    ///   - cachingFailures: Keep failures (other than cancellation) in the cache; by default a failure is
    ///     evicted so that the next call tries again.
    ///   - function: The work for a key; called once per key while its result is in flight or cached.
    ///     If it throws, the callers of that call receive the error.
    ///
    /// ```swift
    /// let resolveName = DeferredMemoizer { (name: String) in resolver.resolve(name) }
    /// ```
    public init(cachingFailures: Bool = false, _ function: @escaping @Sendable (Key) throws -> Deferred<Value>) {
        self.cachingFailures = cachingFailures
        self.function = function
    }

    /// Memoizes an async function: concurrent calls with the same key share one in-flight call and a
    /// success is cached (the rules are those of the Deferred form). The body starts synchronously on the
    /// first call for a key, until its first suspension, and is cancelled when every caller withdrew.
    ///
    /// ```swift
    /// let thumbnail = DeferredMemoizer { (url: URL) in try await render(url) }
    /// let image = try await thumbnail.value(for: url)
    /// ```
    public convenience init(
        cachingFailures: Bool = false, _ function: @escaping @Sendable (Key) async throws -> Value
    ) {
        self.init(cachingFailures: cachingFailures) { key in
            Deferred<Value>(isolation: nil) { try await function(key) }
        }
    }

    // MARK: Calling

    /// A Deferred for the result of the function at `key`: shared with every other caller while in
    /// flight, cached once it succeeds.
    ///
    /// Cancelling the returned Deferred withdraws this caller only.
    ///
    /// ```swift
    /// let user = fetchUser(42)   // fetchUser = DeferredMemoizer { … }
    /// ```
    public func callAsFunction(_ key: Key, file: StaticString = #fileID, line: UInt = #line) -> Deferred<Value> {
        let (shared, isNew) = cache.withLock { cache -> (Deferred<Value>, Bool) in
            if let entry = cache[key] { return (entry, false) }
            let proxy = Deferred<Value>(owned: DeferredCallSite(file, line))
            cache[key] = proxy
            return (proxy, true)
        }
        if isNew {
            let id = ObjectIdentifier(shared)
            // Passive: the cache's bookkeeping is no reason to keep the work alive.
            shared.addPassiveObserver { [weak self] result in
                guard case .failure(let error) = result, let self else { return }
                if self.cachingFailures, !(error is CancellationError) { return }
                self.evict(key, ifIdentifiedBy: id)
            }
        }
        // Each caller's own dependent: cancellation follows interest.
        let mine = shared.map(file: file, line: line) { $0 }
        if isNew { start(key, into: shared) }
        return mine
    }

    /// The async form: the function's value at `key`, shared and cached as for `callAsFunction`.
    ///
    /// ```swift
    /// let user = try await fetchUser.value(for: 42)
    /// ```
    public nonisolated(nonsending) func value(
        for key: Key, file: StaticString = #fileID, line: UInt = #line
    ) async throws -> Value {
        try await self(key, file: file, line: line).value
    }

    func start(_ key: Key, into shared: Deferred<Value>) {
        let inner: Deferred<Value>
        do {
            inner = try function(key)
        } catch {
            shared.completeAsOwner(.failure(error))
            return
        }
        shared.follow(inner)
        if case .failure(let error)? = shared.completedResult(), error is CancellationError, !inner.isComplete {
            // Every caller withdrew while `function` ran: nobody wants the work any more.
            inner.withdrawDependent(shared.dependentID)
        }
    }

    // MARK: Clearing

    /// Forgets every cached result. Calls in flight go on for their callers; the next call starts afresh.
    ///
    /// ```swift
    /// fetchUser.clear()
    /// ```
    public func clear() {
        let dropped = cache.withLock { cache -> [Key: Deferred<Value>] in
            defer { cache = [:] }
            return cache
        }
        _ = dropped  // released outside the lock
    }

    /// Forgets the cached result for `key`.
    ///
    /// ```swift
    /// fetchUser.clear(42)
    /// ```
    public func clear(_ key: Key) {
        // The stored key goes out with its entry: a key's deinit may be user code.
        let dropped = cache.withLock { cache -> (key: Key, value: Deferred<Value>)? in
            guard let index = cache.index(forKey: key) else { return nil }
            return cache.remove(at: index)
        }
        _ = dropped
    }

    /// The number of keys cached or in flight.
    ///
    /// ```swift
    /// print(fetchUser.count)
    /// ```
    public var count: Int { cache.withLock { $0.count } }

    func evict(_ key: Key, ifIdentifiedBy id: ObjectIdentifier) {
        let dropped = cache.withLock { cache -> (key: Key, value: Deferred<Value>)? in
            guard let index = cache.index(forKey: key), ObjectIdentifier(cache.values[index]) == id else { return nil }
            return cache.remove(at: index)
        }
        _ = dropped
    }
}
