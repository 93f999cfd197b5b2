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
        let handler = CallbackHandler<Value>(site: CallSite(file, line))
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
        let handler = CallbackHandler<Value>(site: CallSite(file, line))
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

// MARK: - CallbackHandler

/// What a completion handler made by `fromCallback` captures: the Deferred it completes. If the legacy API
/// drops the handler without calling it, nobody can complete the Deferred any more, so its awaiters and
/// dependents receive `DeferredAbandonedError` instead of waiting forever.
@usableFromInline
final class CallbackHandler<Value: Sendable>: Sendable {
    @usableFromInline let deferred: Deferred<Value>

    @usableFromInline
    init(site: CallSite) {
        deferred = Deferred(owned: site)
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
    public let site: CallSite
    public var description: String {
        "the completion handler of the Deferred created at \(site) was called with neither a value nor an error"
    }
}
