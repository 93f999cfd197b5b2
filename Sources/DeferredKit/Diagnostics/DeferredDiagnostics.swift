#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - DeferredDiagnostics

/// The place where DeferredKit reports misuse that is not worth a crash: an error nobody received,
/// and a Deferred completed twice.
///
/// The default handler writes one line to standard error. Install your own to log, count or fail a test:
///
/// ```swift
/// DeferredDiagnostics.setHandler { event in logger.warning("\(event)") }
/// ```
public enum DeferredDiagnostics {
    /// One diagnostic report.
    public struct Event: Sendable, CustomStringConvertible {
        /// What went wrong.
        public enum Kind: Sendable {
            /// A Deferred was rejected with this error (not a cancellation) and deinitialised without
            /// any observer, derived Deferred, awaiter or read of `result` having received it.
            case unhandledError(any Error)
            /// A Deferred that was already complete was completed again. The second attempt changed nothing.
            case completedTwice
            /// A Deferred that only the library completes (a derived Deferred, a tasklet, a combinator's
            /// output, a lock grant, …) was resolved or rejected from outside. The attempt changed nothing.
            case completedByNonOwner
            /// A pending Deferred was freed, or the completion handler that was its only producer was
            /// dropped without being called: its dependents received `DeferredAbandonedError`.
            case abandoned
        }

        /// What went wrong.
        public let kind: Kind
        /// Where it went wrong: for `completedTwice` and `completedByNonOwner`, where the completion was
        /// attempted; for `unhandledError` and `abandoned`, where the Deferred was created.
        public let site: DeferredCallSite
        /// Where the Deferred concerned was created.
        public let creationSite: DeferredCallSite
        /// For `completedTwice`, where the Deferred was first completed (when known); otherwise `nil`.
        public let firstCompletionSite: DeferredCallSite?

        /// Creates an event (for handlers that forward or replay events, and for tests).
        public init(kind: Kind, site: DeferredCallSite, creationSite: DeferredCallSite, firstCompletionSite: DeferredCallSite? = nil) {
            self.kind = kind
            self.site = site
            self.creationSite = creationSite
            self.firstCompletionSite = firstCompletionSite
        }

        public var description: String {
            switch kind {
            case .unhandledError(let error):
                return "DeferredKit: unhandled error in Deferred created at \(creationSite): \(error)"
            case .completedTwice:
                let first = firstCompletionSite.map { ", first completed at \($0)" } ?? ""
                return "DeferredKit: Deferred created at \(creationSite) completed twice at \(site)\(first); "
                    + "the second completion was ignored"
            case .completedByNonOwner:
                return "DeferredKit: Deferred created at \(creationSite) is completed by the library only; "
                    + "the completion at \(site) was ignored"
            case .abandoned:
                return "DeferredKit: pending Deferred created at \(creationSite) was abandoned; "
                    + "its dependents received DeferredAbandonedError"
            }
        }
    }

    /// Replaces the handler that receives every diagnostic event. Thread-safe; the handler may be called
    /// from any thread, so it must be quick and must not block.
    ///
    /// ```swift
    /// DeferredDiagnostics.setHandler { event in print(event) }
    /// ```
    public static func setHandler(_ handler: @escaping @Sendable (Event) -> Void) {
        let replaced = store.withLock { current in
            defer { current = Handler(call: handler) }
            return current
        }
        _ = replaced
    }

    /// Restores the default handler, which writes one line per event to standard error.
    ///
    /// ```swift
    /// DeferredDiagnostics.resetHandler()
    /// ```
    public static func resetHandler() {
        let replaced = store.withLock { current in
            defer { current = Handler(call: defaultHandler) }
            return current
        }
        _ = replaced
    }

    /// The default handler: one line on standard error.
    public static let defaultHandler: @Sendable (Event) -> Void = { event in
        var line = event.description + "\n"
        line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }

    // The closure is wrapped in a struct: a bare function stored in a generic container is re-wrapped in
    // a reabstraction thunk on every store, and the thunks would nest.
    private struct Handler: Sendable {
        let call: @Sendable (Event) -> Void
    }

    /// The installed handler, behind the library's TSan-annotated lock. A replaced handler is released
    /// after the lock (its captures are user code).
    private static let store = LockedState(Handler(call: DeferredDiagnostics.defaultHandler))

    @usableFromInline
    static func report(_ event: Event) {
        let handler = store.withLock { $0 }
        handler.call(event)
    }

    @usableFromInline
    static func reportCompletedTwice(at site: DeferredCallSite, firstAt first: DeferredCallSite?, createdAt creation: DeferredCallSite) {
        report(Event(kind: .completedTwice, site: site, creationSite: creation, firstCompletionSite: first))
    }

    @usableFromInline
    static func reportCompletedByNonOwner(at site: DeferredCallSite, createdAt creation: DeferredCallSite) {
        report(Event(kind: .completedByNonOwner, site: site, creationSite: creation))
    }

    @usableFromInline
    static func reportUnhandled(_ error: any Error, createdAt site: DeferredCallSite) {
        report(Event(kind: .unhandledError(error), site: site, creationSite: site))
    }

    @usableFromInline
    static func reportAbandoned(createdAt site: DeferredCallSite) {
        report(Event(kind: .abandoned, site: site, creationSite: site))
    }

    /// Whether an error nobody received is worth reporting: cancellations and abandonments are outcomes
    /// the library itself delivers, never a forgotten failure.
    @inlinable
    static func isReportable(_ error: any Error) -> Bool {
        !(error is CancellationError) && !(error is DeferredAbandonedError)
    }
}
