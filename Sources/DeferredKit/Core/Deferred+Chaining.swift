// MARK: - Chaining

// Each method here returns a NEW Deferred (simple-promise semantics): the receiver's result never changes,
// and every observer of it sees the same result. The new Deferred is a withdrawable dependent of the
// receiver: cancelling it withdraws its interest, and cancels the receiver only if nobody else wants it.

extension Deferred {
    /// A Deferred whose value is `transform` applied to this one's value.
    ///
    /// An error skips `transform` and passes through; an error thrown by `transform` rejects the result.
    /// `transform` runs synchronously on the thread that completes this Deferred (or at once, if it is
    /// complete already).
    ///
    /// ```swift
    /// let length = download.map { data in data.count }
    /// ```
    @inlinable
    public func map<U>(
        file: StaticString = #fileID, line: UInt = #line,
        _ transform: @escaping @Sendable (Value) throws -> U
    ) -> Deferred<U> {
        let derived = MapLink<Value, U>(from: self, site: DeferredCallSite(file, line), transform: transform)
        addObserver(.link(derived, { MapLink<Value, U>.receive($0, $1) }))
        return derived
    }

    /// A Deferred that completes like the Deferred `transform` returns for this one's value.
    ///
    /// An error skips `transform` and passes through; an error thrown by `transform` rejects the result.
    /// Cancelling the result withdraws from this Deferred or, once `transform` has run, from the inner one.
    ///
    /// ```swift
    /// let avatar = fetchUser(id).flatMap { user in fetchImage(user.avatarURL) }
    /// ```
    @inlinable
    public func flatMap<U>(
        file: StaticString = #fileID, line: UInt = #line,
        _ transform: @escaping @Sendable (Value) throws -> Deferred<U>
    ) -> Deferred<U> {
        let derived = FlatMapLink<Value, U>(from: self, site: DeferredCallSite(file, line), transform: transform)
        addObserver(.link(derived, { FlatMapLink<Value, U>.receive($0, $1) }))
        return derived
    }

    /// A Deferred whose value is this one's value, or `transform` applied to this one's error.
    ///
    /// An error thrown by `transform` rejects the result.
    ///
    /// ```swift
    /// let settings = loadSettings().recover { _ in .defaults }
    /// ```
    @inlinable
    public func recover(
        file: StaticString = #fileID, line: UInt = #line,
        _ transform: @escaping @Sendable (any Error) throws -> Value
    ) -> Deferred<Value> {
        let derived = Deferred<Value>(derivedFrom: self, site: DeferredCallSite(file, line))
        addDependent(derived.dependentID) { result in
            switch result {
            case .success:
                derived.settle(result)
            case .failure(let error):
                do {
                    derived.settle(.success(try transform(error)))
                } catch {
                    derived.settle(.failure(error))
                }
            }
        }
        return derived
    }

    /// A Deferred that has this one's value, or completes like the Deferred `transform` returns for this
    /// one's error.
    ///
    /// ```swift
    /// let page = fetchFromCache(url).flatRecover { _ in fetchFromNetwork(url) }
    /// ```
    @inlinable
    public func flatRecover(
        file: StaticString = #fileID, line: UInt = #line,
        _ transform: @escaping @Sendable (any Error) throws -> Deferred<Value>
    ) -> Deferred<Value> {
        let derived = Deferred<Value>(derivedFrom: self, site: DeferredCallSite(file, line))
        addDependent(derived.dependentID) { result in
            switch result {
            case .success:
                derived.settle(result)
            case .failure(let error):
                do {
                    derived.follow(try transform(error))
                } catch {
                    derived.settle(.failure(error))
                }
            }
        }
        return derived
    }

    /// A Deferred with this one's value, or with `transform` applied to this one's error.
    ///
    /// ```swift
    /// let user = fetchUser(id).mapError { APIError.network($0) }
    /// ```
    @inlinable
    public func mapError(
        file: StaticString = #fileID, line: UInt = #line,
        _ transform: @escaping @Sendable (any Error) -> any Error
    ) -> Deferred<Value> {
        let derived = Deferred<Value>(derivedFrom: self, site: DeferredCallSite(file, line))
        addDependent(derived.dependentID) { result in
            switch result {
            case .success:
                derived.settle(result)
            case .failure(let error):
                derived.settle(.failure(transform(error)))
            }
        }
        return derived
    }

    /// A Deferred with this one's result, after `observer` has seen it — the `finally` of a chain.
    ///
    /// ```swift
    /// let saved = save(document).always { _ in spinner.stop() }
    /// ```
    @inlinable
    public func always(
        file: StaticString = #fileID, line: UInt = #line,
        _ observer: @escaping @Sendable (Result<Value, any Error>) -> Void
    ) -> Deferred<Value> {
        let derived = Deferred<Value>(derivedFrom: self, site: DeferredCallSite(file, line))
        addDependent(derived.dependentID) { result in
            observer(result)
            derived.settle(result)
        }
        return derived
    }
}

// MARK: - Hand-off between Deferreds

extension Deferred {
    /// Completes a derived Deferred from upstream. Upstream may legitimately arrive after this Deferred
    /// was settled by cancellation; that is not a double completion worth reporting.
    @inlinable
    func settle(_ result: Result<Value, any Error>) {
        completeAsOwner(result)
    }

    /// Makes this derived Deferred complete like `inner` (the `flatMap` hand-off), and moves its
    /// cancellation target from the original source to `inner`.
    @inlinable
    func follow(_ inner: Deferred<Value>) {
        if inner === self {
            settle(.failure(DeferredCycleError()))
            return
        }
        let me = dependentID
        // This Deferred is the inner one's observer itself: no closure to allocate.
        inner.addObserver(.link(self, { object, result in
            unsafeDowncast(object, to: Deferred<Value>.self).settle(result)
        }))
        // The original source is released after the lock (its deinit may run user code).
        var releasedSource: (any CancelNode)?
        let cancelled = lock.withLock { () -> Bool in
            if hasResult { return false }
            releasedSource = upstream.follow(inner, innerIsDerived: inner.isDerived)
            // Only a request that reached nothing upstream carries over: a request that cancelled the
            // source was answered by the result that led here (a `flatRecover` that finishes its clean-up
            // in the inner Deferred must not see it cancelled).
            return flags.remove(.cancelAwaitsHandOff) != nil
        }
        _ = releasedSource
        if cancelled {
            // Cancelled while the source's observers ran: withdraw from the inner Deferred now.
            inner.withdrawDependent(me) { [self] _ in settleCancel() }
        }
    }
}

/// The error of a `flatMap` or `flatRecover` whose transform returned the derived Deferred itself.
///
/// ```swift
/// var d: Deferred<Int>!
/// d = source.flatMap { _ in d }   // rejects with DeferredCycleError
/// ```
public struct DeferredCycleError: Error, CustomStringConvertible {
    /// Creates the error.
    public init() {}
    public var description: String { "a flatMap transform returned the Deferred it was completing" }
}
