// MARK: - memoize

/// Wraps a Deferred-returning function so that calls with the same key share one result: while the first
/// call is in flight, later calls wait for it instead of starting the work again (no thundering herd),
/// and a success is cached until cleared.
///
/// A failure is evicted, so the next call tries again — unless `cachingFailures` is `true`. A
/// `CancellationError` is never cached. Each caller gets its own Deferred derived from the shared one:
/// cancelling it withdraws only that caller, and the shared work is cancelled when every caller has
/// withdrawn.
///
/// ```swift
/// let profile = memoize { (id: UserID) in api.fetchProfile(id) }
/// let a = profile(42), b = profile(42)   // one request
/// profile.clear()                          // forget everything
/// ```
public func memoize<Key: Hashable & Sendable, Value: Sendable>(
    cachingFailures: Bool = false,
    _ function: @escaping @Sendable (Key) throws -> Deferred<Value>
) -> Memoized<Key, Value> {
    Memoized(cachingFailures: cachingFailures, function)
}

/// Wraps an async function so that concurrent calls with the same key share one in-flight call and a
/// success is cached (see the Deferred form for the rules). The body starts synchronously on the first
/// call, until its first suspension.
///
/// ```swift
/// let thumbnail = memoize { (url: URL) in try await render(url) }
/// let image = try await thumbnail.value(for: url)
/// ```
public func memoize<Key: Hashable & Sendable, Value: Sendable>(
    cachingFailures: Bool = false,
    _ function: @escaping @Sendable (Key) async throws -> Value
) -> Memoized<Key, Value> {
    Memoized(cachingFailures: cachingFailures) { key in
        Deferred<Value>(isolation: nil) { try await function(key) }
    }
}

// MARK: - Memoized

/// A memoized function, made by `memoize`: call it like a function to get a Deferred for a key.
///
/// ```swift
/// let lookup = memoize { (name: String) in resolver.resolve(name) }
/// lookup("example.com").whenComplete { print($0) }
/// ```
public final class Memoized<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    // `cache` is guarded by `lock`: one shared Deferred per key, in flight or complete.
    @usableFromInline let lock = InternalLock()
    @usableFromInline var cache: [Key: Deferred<Value>] = [:]
    @usableFromInline let function: @Sendable (Key) throws -> Deferred<Value>
    /// Whether failures (other than cancellation) stay in the cache.
    ///
    /// ```swift
    /// memoize(cachingFailures: true) { (k: Int) in load(k) }.cachingFailures   // true
    /// ```
    public let cachingFailures: Bool

    /// Creates a memoized function; `memoize(_:)` is the usual spelling.
    ///
    /// ```swift
    /// let cached = Memoized(cachingFailures: true) { (key: String) in load(key) }
    /// ```
    public init(cachingFailures: Bool = false, _ function: @escaping @Sendable (Key) throws -> Deferred<Value>) {
        self.cachingFailures = cachingFailures
        self.function = function
    }

    // MARK: Calling

    /// A Deferred for the result of the function at `key`: shared with every other caller while in
    /// flight, cached once it succeeds.
    ///
    /// Cancelling the returned Deferred withdraws this caller only.
    ///
    /// ```swift
    /// let user = fetchUser(42)   // fetchUser = memoize { … }
    /// ```
    public func callAsFunction(_ key: Key, file: StaticString = #fileID, line: UInt = #line) -> Deferred<Value> {
        let (shared, isNew) = lock.withLock { () -> (Deferred<Value>, Bool) in
            if let entry = cache[key] { return (entry, false) }
            let proxy = Deferred<Value>(owned: CallSite(file, line))
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

    @usableFromInline
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
        let dropped = lock.withLock { () -> [Key: Deferred<Value>] in
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
        let dropped = lock.withLock { () -> (key: Key, value: Deferred<Value>)? in
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
    public var count: Int { lock.withLock { cache.count } }

    @usableFromInline
    func evict(_ key: Key, ifIdentifiedBy id: ObjectIdentifier) {
        let dropped = lock.withLock { () -> (key: Key, value: Deferred<Value>)? in
            guard let index = cache.index(forKey: key), ObjectIdentifier(cache.values[index]) == id else { return nil }
            return cache.remove(at: index)
        }
        _ = dropped
    }
}
