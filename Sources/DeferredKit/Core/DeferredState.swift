// The non-generic parts of a Deferred's state: its flags and what it waits on. Kept outside the generic
// class so that destroying them in the unspecialised `deinit` needs no metadata lookup (and because a
// generic type cannot have static stored properties).

// MARK: - DeferredUpstream

/// What a pending Deferred waits on, or where it was completed. Not generic, so that destroying it in
/// the (unspecialised) deinit needs no run-time metadata lookup.
@usableFromInline
enum DeferredUpstream {
    /// Nothing: cancelling just rejects.
    case none
    /// A user canceller, run once by `cancel()`.
    case canceller(@Sendable (AnyObject) -> Void)
    /// Cancels the task that produces the result.
    case producer(cancel: @Sendable () -> Void)
    /// The Deferred this one was derived from (or, for `flatMap`, the inner one it now follows).
    case source(WeakCancelNode)
    /// Complete; where the first completion happened, for double-completion reports.
    case completed(at: CallSite)
}

// MARK: - DeferredFlags

/// The state bits of a Deferred (outside the generic class: a generic type cannot have static stored properties).
@usableFromInline
struct DeferredFlags: OptionSet, Sendable {
    @usableFromInline let rawValue: UInt8
    @inlinable init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Observers are being run; an observer added now is appended and runs after them.
    @usableFromInline static let firing = DeferredFlags(rawValue: 1 << 0)
    /// `cancel()` has begun; a completion after the Deferred completed is silently ignored.
    @usableFromInline static let cancelRequested = DeferredFlags(rawValue: 1 << 1)
    /// Cancelling does not reject: the producing task decides the result (tasklets, `Task`s).
    @usableFromInline static let awaitsProducer = DeferredFlags(rawValue: 1 << 2)
    /// A `whenComplete` observer was registered: never cancelled on behalf of other dependents.
    @usableFromInline static let hasPermanentDependent = DeferredFlags(rawValue: 1 << 3)
    /// Rejected with an error that no observer, derived Deferred, awaiter or `result` read received.
    @usableFromInline static let errorUnobserved = DeferredFlags(rawValue: 1 << 4)
    /// Resolved: the value is stored.
    @usableFromInline static let hasValue = DeferredFlags(rawValue: 1 << 5)
    /// Rejected: the error is stored.
    @usableFromInline static let hasError = DeferredFlags(rawValue: 1 << 6)
}
