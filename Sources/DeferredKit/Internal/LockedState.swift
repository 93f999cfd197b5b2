// MARK: - LockedState

/// A value guarded by the library's TSan-annotated lock: the one way a DeferredKit type other than
/// `Deferred` keeps mutable shared state.
///
/// State lives inside the box and is reachable only through `withLock`, so "guarded by `lock`" is a fact
/// the compiler checks rather than a comment. As with every lock in the library, the body must not call
/// user code, and anything it removes from the state that user code could observe on release (closures,
/// values, errors, Deferreds) is returned and released after unlocking.
///
/// `InternalLock` stays the raw lock for `Deferred`, which lays its words out by hand.
@usableFromInline
final class LockedState<State> {
    @usableFromInline let lock = InternalLock()
    @exclusivity(unchecked) @usableFromInline var state: State

    @inlinable
    init(_ initial: State) {
        state = initial
    }

    /// Runs `body` with exclusive access to the state.
    @inlinable
    func withLock<R: ~Copyable, E: Error>(_ body: (inout State) throws(E) -> R) throws(E) -> R {
        try lock.withLock { () throws(E) -> R in try body(&state) }
    }
}

// Only `withLock` reaches the state, under the lock.
extension LockedState: @unchecked Sendable where State: Sendable {}
