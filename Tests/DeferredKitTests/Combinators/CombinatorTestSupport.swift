@testable import DeferredKit

// MARK: - Test support

/// The value of a completed Deferred, or `nil`.
func valueOf<T>(_ d: Deferred<T>) -> T? {
    if case .success(let v)? = d.result { return v }
    return nil
}

/// The error of a completed Deferred, or `nil`.
func errorOf<T>(_ d: Deferred<T>) -> (any Error)? {
    if case .failure(let e)? = d.result { return e }
    return nil
}

func isCancelled<T>(_ d: Deferred<T>) -> Bool {
    errorOf(d) is CancellationError
}

/// A Deferred that something else also depends on, so that withdrawing from it never cancels it.
/// The extra dependent is a `map`, which stays pending (and withdrawable) as long as the source is.
func wantedElsewhere<T>(_ d: Deferred<T>) -> Deferred<T> {
    let keeper = d.map { $0 }
    KeepAlive.shared.hold(keeper)
    return d
}

final class KeepAlive: Sendable {
    static let shared = KeepAlive()
    private let held = Locked<[any AnyObject & Sendable]>([])
    func hold(_ object: any AnyObject & Sendable) { held.withLock { $0.append(object) } }
}
