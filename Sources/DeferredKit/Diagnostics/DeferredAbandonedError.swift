// MARK: - DeferredAbandonedError

/// The error that the dependents of an abandoned Deferred receive: a pending Deferred that was freed, or
/// whose only producer — a `fromCallback` completion handler — was dropped without being called.
///
/// Nobody can complete such a Deferred any more, so instead of waiting forever its awaiters throw this,
/// its derived Deferreds and combinators are rejected with it, and `DeferredDiagnostics` reports an
/// `.abandoned` event naming where it was created. It is never itself reported as unhandled.
///
/// ```swift
/// do { _ = try await legacyLoad().value }
/// catch let error as DeferredAbandonedError { print("nobody will answer: \(error.creationSite)") }
/// ```
public struct DeferredAbandonedError: Error, Hashable, CustomStringConvertible {
    /// Where the abandoned Deferred was created.
    public let creationSite: DeferredCallSite

    /// Creates the error for a Deferred created at `creationSite`.
    public init(createdAt creationSite: DeferredCallSite) {
        self.creationSite = creationSite
    }

    public var description: String {
        "the pending Deferred created at \(creationSite) was abandoned: nothing can complete it any more"
    }
}
