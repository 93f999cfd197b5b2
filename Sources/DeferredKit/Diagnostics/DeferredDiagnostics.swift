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
        }

        /// What went wrong.
        public let kind: Kind
        /// For `unhandledError`, where the Deferred was created; for `completedTwice`, where the second
        /// completion was attempted.
        public let site: CallSite
        /// For `completedTwice`, where the Deferred was first completed; for `unhandledError`, `nil`.
        public let firstCompletionSite: CallSite?

        public var description: String {
            switch kind {
            case .unhandledError(let error):
                return "DeferredKit: unhandled error in Deferred created at \(site): \(error)"
            case .completedTwice:
                let first = firstCompletionSite.map { " (first completed at \($0))" } ?? ""
                return "DeferredKit: Deferred completed twice at \(site)\(first); the second completion was ignored"
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
        store.withLock { $0 = Handler(call: handler) }
    }

    /// Restores the default handler, which writes one line per event to standard error.
    ///
    /// ```swift
    /// DeferredDiagnostics.resetHandler()
    /// ```
    public static func resetHandler() {
        store.withLock { $0 = Handler(call: defaultHandler) }
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

    /// The installed handler, behind the library's TSan-annotated lock.
    private final class HandlerStore: @unchecked Sendable {
        private let lock = InternalLock()
        private var handler = Handler(call: DeferredDiagnostics.defaultHandler)

        func withLock<R>(_ body: (inout Handler) -> R) -> R {
            lock.withLock { body(&handler) }
        }
    }

    private static let store = HandlerStore()

    @usableFromInline
    static func report(_ event: Event) {
        let handler = store.withLock { $0 }
        handler.call(event)
    }

    @usableFromInline
    static func reportCompletedTwice(at site: CallSite, firstAt first: CallSite?) {
        report(Event(kind: .completedTwice, site: site, firstCompletionSite: first))
    }

    @usableFromInline
    static func reportUnhandled(_ error: any Error, createdAt site: CallSite) {
        report(Event(kind: .unhandledError(error), site: site, firstCompletionSite: nil))
    }
}
