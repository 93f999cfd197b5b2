// The non-generic parts of a Deferred's state: its flags, what it waits on, and the rarely used parts
// kept out of line. Kept outside the generic class so that destroying them in the unspecialised `deinit`
// needs no metadata lookup (and because a generic type cannot have static stored properties).

// MARK: - DeferredUpstream

/// What a pending Deferred waits on, or where it was completed. Not generic, so that destroying it in
/// the (unspecialised) deinit needs no run-time metadata lookup.
@usableFromInline
enum DeferredUpstream {
    /// Nothing, or a cancel action in the Deferred's rare parts.
    case none
    /// The Deferred this one was derived from (or, for `flatMap`, the inner one it now follows).
    case source(WeakCancelNode)
    /// Complete; where the first completion happened, for double-completion reports.
    case completed(at: DeferredCallSite)
}

// MARK: - DeferredFlags

/// The state bits of a Deferred (outside the generic class: a generic type cannot have static stored properties).
@usableFromInline
struct DeferredFlags: OptionSet, Sendable {
    @usableFromInline let rawValue: UInt16
    @inlinable init(rawValue: UInt16) { self.rawValue = rawValue }

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
    /// Completed by the library only (derived Deferreds, tasklets, combinator outputs, lock grants, …):
    /// `resolve`/`reject`/`complete(with:)` from outside change nothing.
    @usableFromInline static let libraryOwned = DeferredFlags(rawValue: 1 << 7)
    /// `cancel()` found the source already complete, so the request reached nothing upstream: the
    /// `flatMap` hand-off that is about to give this Deferred its inner one must cancel that one instead.
    @usableFromInline static let cancelAwaitsHandOff = DeferredFlags(rawValue: 1 << 8)
}

// MARK: - DeferredRareParts

/// The parts of a Deferred that most Deferreds never need, in one optional out-of-line record so that
/// the common Deferred does not pay for them: the cancel action, the event channel, and the index that
/// makes withdrawing one of many dependents O(1). Guarded by the owning Deferred's lock.
@usableFromInline
final class DeferredRareParts {
    /// Run once by `cancel()`; dropped, outside the lock, when the Deferred completes.
    @usableFromInline var cancelAction: CancelAction?
    /// The channel of `emit`/`onEvent`, created on first use.
    var events: EventChannel?
    /// Positions of the dependents in a long observer list, built on the first withdrawal from one.
    @usableFromInline var observerIndex: ObserverIndex?

    @usableFromInline
    init(cancelAction: CancelAction? = nil) {
        self.cancelAction = cancelAction
    }
}

/// What `cancel()` runs for a Deferred that has no source.
@usableFromInline
enum CancelAction {
    /// A user canceller, given the Deferred (type-erased, so that the record is not generic).
    case canceller(@Sendable (AnyObject) -> Void)
    /// Cancels the task that produces the result; the task then decides the result.
    case producer(@Sendable () -> Void)
}
