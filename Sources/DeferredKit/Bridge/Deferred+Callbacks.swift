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
        let deferred = Deferred<Value>(file: file, line: line)
        let site = CallSite(file, line)
        start { result in _ = deferred.complete(result, at: site) }
        return deferred
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
        let deferred = Deferred<Value>(file: file, line: line)
        let site = CallSite(file, line)
        start { value, error in
            if let error {
                _ = deferred.complete(.failure(error), at: site)
            } else if let value {
                _ = deferred.complete(.success(value), at: site)
            } else {
                _ = deferred.complete(.failure(MissingCallbackResultError(site: site)), at: site)
            }
        }
        return deferred
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
