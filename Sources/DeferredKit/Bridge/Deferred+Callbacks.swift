// MARK: - Completion handlers as a Deferred

extension Deferred {
    /// Turns a completion-handler API that reports a `Result` into a Deferred.
    ///
    /// `start` runs at once; the handler may be called on any thread. A handler called twice is reported
    /// to `DeferredDiagnostics` as a double completion, not a crash.
    ///
    /// ```swift
    /// let data = Deferred<Data>.fromCallback { done in legacy.load(url, completion: done) }
    /// ```
    public static func fromCallback(
        file: StaticString = #fileID, line: UInt = #line,
        _ start: (@escaping @Sendable (Result<Value, any Error>) -> Void) -> Void
    ) -> Deferred<Value> {
        let handler = CallbackHandler<Value>(site: DeferredCallSite(file, line))
        start { result in handler.complete(result) }
        return handler.deferred
    }

    /// Turns a completion-handler API that reports `(value?, error?)` into a Deferred.
    ///
    /// A non-`nil` error rejects; otherwise a value resolves; `(nil, nil)` rejects with
    /// `MissingCallbackResultError`.
    ///
    /// ```swift
    /// let user = Deferred<User>.fromCallback { done in api.fetchUser(id) { user, error in done(user, error) } }
    /// ```
    public static func fromCallback(
        file: StaticString = #fileID, line: UInt = #line,
        _ start: (@escaping @Sendable (Value?, (any Error)?) -> Void) -> Void
    ) -> Deferred<Value> {
        let handler = CallbackHandler<Value>(site: DeferredCallSite(file, line))
        start { value, error in
            if let error {
                handler.complete(.failure(error))
            } else if let value {
                handler.complete(.success(value))
            } else {
                handler.complete(.failure(MissingCallbackResultError(site: handler.deferred.creationSite)))
            }
        }
        return handler.deferred
    }

}

// MARK: - Completion handlers that can be cancelled

extension Deferred {
    /// Turns a cancellable completion-handler API into a Deferred: `start` begins the work and returns the
    /// action that aborts it, which `cancel()` runs — so a timeout, or the last dependent withdrawing, stops
    /// the legacy work too.
    ///
    /// After `cancel()` the Deferred is rejected with `CancellationError` unless the handler is called
    /// synchronously from the cancel action; a later call is ignored.
    ///
    /// A name of its own rather than a `fromCallback` overload: Swift cannot tell a multi-statement closure
    /// that returns a cancel action from one that returns nothing.
    ///
    /// ```swift
    /// let data = Deferred<Data>.fromCancellableCallback { done in
    ///     let request = legacy.load(url, completion: done)
    ///     return { request.abort() }
    /// }
    /// ```
    public static func fromCancellableCallback(
        file: StaticString = #fileID, line: UInt = #line,
        _ start: (@escaping @Sendable (Result<Value, any Error>) -> Void) -> @Sendable () -> Void
    ) -> Deferred<Value> {
        let abort = LockedState<(@Sendable () -> Void)?>(nil)
        let handler = CallbackHandler<Value>(site: DeferredCallSite(file, line)) { _ in
            let action = abort.withLock { $0.take() }
            action?()
        }
        let action = start { result in handler.complete(result) }
        let unused = abort.withLock { state -> (@Sendable () -> Void)? in
            if handler.deferred.isComplete { return action }  // finished before it could be cancelled
            state = action
            return nil
        }
        _ = unused  // released after unlocking
        return handler.deferred
    }
}

extension Deferred where Value == Void {
    /// Turns a completion-handler API that reports only an optional error into a `Deferred<Void>`:
    /// `nil` resolves, an error rejects.
    ///
    /// ```swift
    /// let saved = Deferred<Void>.fromCallback { done in store.save(record, completion: done) }
    /// ```
    public static func fromCallback(
        file: StaticString = #fileID, line: UInt = #line,
        _ start: (@escaping @Sendable ((any Error)?) -> Void) -> Void
    ) -> Deferred<Void> {
        let handler = CallbackHandler<Void>(site: DeferredCallSite(file, line))
        start { error in handler.complete(error.map { .failure($0) } ?? .success(())) }
        return handler.deferred
    }
}

// MARK: - CallbackHandler

/// What a completion handler made by `fromCallback` captures: the Deferred it completes. If the legacy API
/// drops the handler without calling it, nobody can complete the Deferred any more, so its awaiters and
/// dependents receive `DeferredAbandonedError` instead of waiting forever.
@usableFromInline
final class CallbackHandler<Value: Sendable>: Sendable {
    @usableFromInline let deferred: Deferred<Value>

    @usableFromInline
    init(site: DeferredCallSite, canceller: (@Sendable (Deferred<Value>) -> Void)? = nil) {
        deferred = Deferred(owned: site, canceller: canceller)
    }

    /// Completes the Deferred; a second call is reported as a double completion at the Deferred's site.
    @usableFromInline
    func complete(_ result: Result<Value, any Error>) {
        _ = deferred.complete(result, at: deferred.creationSite)
    }

    deinit {
        if deferred.completeAsOwner(.failure(DeferredAbandonedError(createdAt: deferred.creationSite))) {
            DeferredDiagnostics.reportAbandoned(createdAt: deferred.creationSite)
        }
    }
}

/// The error of a `(value?, error?)` completion handler that was called with neither.
///
/// ```swift
/// catch let error as MissingCallbackResultError { print(error.site) }
/// ```
public struct MissingCallbackResultError: Error, CustomStringConvertible {
    /// Where the Deferred was created with `fromCallback`.
    public let site: DeferredCallSite
    public var description: String {
        "the completion handler of the Deferred created at \(site) was called with neither a value nor an error"
    }
}
