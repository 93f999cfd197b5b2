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
    /// The Deferred this one was derived from (or, for `flatMap`, the inner one it now follows), held
    /// weakly: a Deferred made by a user or a utility may be dropped while pending, and its dependents
    /// must then be freed and told it was abandoned.
    case source(WeakCancelNode)
    /// The same, when that Deferred is itself derived (`map`, `flatMap`, `recover`, …), held strongly. A
    /// derived Deferred is kept alive by its own source's observer list for as long as it is pending, so
    /// holding it adds no lifetime, and the cycle ends when it completes. A weak reference would cost a
    /// side-table allocation on every link of a chain, and make every later retain and release of it slow.
    case derivedSource(any CancelNode)
    /// Complete; where the first completion happened, for double-completion reports.
    case completed(at: DeferredCallSite)
}

extension DeferredUpstream {
    /// Refers to `source`: strongly when it is a derived Deferred (see `derivedSource`), weakly otherwise.
    @inlinable
    static func waiting(on source: any CancelNode, sourceIsDerived: Bool) -> DeferredUpstream {
        sourceIsDerived ? .derivedSource(source) : .source(WeakCancelNode(source))
    }

    /// Marks the Deferred complete (at `site`), and hands back a source held strongly, to be released
    /// after the lock (its deinit may run user code). A weak reference releases nothing.
    @inlinable
    mutating func markCompleted(at site: DeferredCallSite) -> (any CancelNode)? {
        switch consume self {  // moved out: no retain and release of the source
        case .derivedSource(let node):
            self = .completed(at: site)
            return node
        case .none, .source, .completed:
            self = .completed(at: site)
            return nil
        }
    }

    /// Points the Deferred at the inner Deferred of a `flatMap` hand-off, and hands back the source held
    /// strongly before, to be released after the lock.
    @inlinable
    mutating func follow(_ inner: any CancelNode, innerIsDerived: Bool) -> (any CancelNode)? {
        switch consume self {
        case .derivedSource(let node):
            self = .waiting(on: inner, sourceIsDerived: innerIsDerived)
            return node
        case .none, .source, .completed:
            self = .waiting(on: inner, sourceIsDerived: innerIsDerived)
            return nil
        }
    }

    /// The node this Deferred waits on, if it waits on one that still exists.
    @inlinable
    var sourceNode: (any CancelNode)? {
        switch self {
        case .source(let weak): return weak.node
        case .derivedSource(let node): return node
        case .none, .completed: return nil
        }
    }
}

// MARK: - DeferredFlags

/// The state bits of a Deferred. Each bit is a computed constant, so inlined code folds it instead of calling
/// a global's addressor on every use (about 10 instructions each).
@usableFromInline
struct DeferredFlags: OptionSet, Sendable {
    @usableFromInline let rawValue: UInt16
    @inlinable init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Observers are being run; an observer added now is appended and runs after them.
    @inlinable static var firing: DeferredFlags { DeferredFlags(rawValue: 1 << 0) }
    /// `cancel()` has begun; a completion after the Deferred completed is silently ignored.
    @inlinable static var cancelRequested: DeferredFlags { DeferredFlags(rawValue: 1 << 1) }
    /// Cancelling does not reject: the producing task decides the result (tasklets, `Task`s).
    @inlinable static var awaitsProducer: DeferredFlags { DeferredFlags(rawValue: 1 << 2) }
    /// A `whenComplete` observer was registered: never cancelled on behalf of other dependents.
    @inlinable static var hasPermanentDependent: DeferredFlags { DeferredFlags(rawValue: 1 << 3) }
    /// Rejected with an error that no observer, derived Deferred, awaiter or `result` read received.
    @inlinable static var errorUnobserved: DeferredFlags { DeferredFlags(rawValue: 1 << 4) }
    /// Resolved: the value is stored.
    @inlinable static var hasValue: DeferredFlags { DeferredFlags(rawValue: 1 << 5) }
    /// Rejected: the error is stored.
    @inlinable static var hasError: DeferredFlags { DeferredFlags(rawValue: 1 << 6) }
    /// Completed by the library only (derived Deferreds, tasklets, combinator outputs, lock grants, …):
    /// `resolve`/`reject`/`complete(with:)` from outside change nothing.
    @inlinable static var libraryOwned: DeferredFlags { DeferredFlags(rawValue: 1 << 7) }
    /// `cancel()` found the source already complete, so the request reached nothing upstream: the
    /// `flatMap` hand-off that is about to give this Deferred its inner one must cancel that one instead.
    @inlinable static var cancelAwaitsHandOff: DeferredFlags { DeferredFlags(rawValue: 1 << 8) }
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
enum CancelAction: Sendable {
    /// A user canceller, given the Deferred (type-erased, so that the record is not generic).
    case canceller(@Sendable (AnyObject) -> Void)
    /// Cancels the task that produces the result; the task then decides the result.
    case producer(@Sendable () -> Void)
}
