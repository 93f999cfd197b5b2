// The "floor" for create/observe/resolve: the least a thread-safe one-shot
// value with one observer can cost. Non-generic, one allocation (the object;
// the Mutex is stored inline), a lock, and room for exactly one observer.

import Synchronization

/// A hand-written, non-generic, thread-safe one-shot `Int` cell.
final class OneShotCell: Sendable {
    private struct State {
        var value: Int?
        var observer: (@Sendable (Int) -> Void)?
    }

    private let state = Mutex(State(value: nil, observer: nil))

    init() {}

    /// Registers the single observer, or calls it at once if already resolved.
    @inline(never)
    func observe(_ observer: @escaping @Sendable (Int) -> Void) {
        let ready: Int? = state.withLock { s in
            if let v = s.value { return v }
            precondition(s.observer == nil, "OneShotCell supports one observer")
            s.observer = observer
            return nil
        }
        if let ready { observer(ready) }
    }

    /// Stores the value and calls the observer (outside the lock).
    @inline(never)
    func resolve(_ value: Int) {
        let observer: (@Sendable (Int) -> Void)? = state.withLock { s in
            precondition(s.value == nil, "OneShotCell resolved twice")
            s.value = value
            defer { s.observer = nil }
            return s.observer
        }
        observer?(value)
    }
}
