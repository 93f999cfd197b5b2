@testable import DeferredKit

/// A value guarded by the library's `InternalLock`, whose hand-offs ThreadSanitizer sees (a plain
/// `Mutex` on Linux is invisible to it, so state published through one would be reported as a race).
final class TimeLocked<Value>: @unchecked Sendable {
    private let lock = InternalLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.withLock { body(&value) }
    }
}

/// A thread-safe list that test callbacks append to.
final class TimeLog<Element: Sendable>: Sendable {
    private let storage = TimeLocked<[Element]>([])

    func append(_ element: Element) { storage.withLock { $0.append(element) } }
    var all: [Element] { storage.withLock { $0 } }
    var count: Int { storage.withLock { $0.count } }
}

/// A test error with an identity.
struct Flake: Error, Equatable {
    let number: Int
}

/// A clock that forwards to a `ManualClock` but is not one: the library must fall back to sleeping tasks.
struct ForwardingClock: Clock {
    let base: ManualClock
    var now: ManualClock.Instant { base.now }
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: ManualClock.Instant, tolerance: Duration?) async throws {
        try await base.sleep(until: deadline, tolerance: tolerance)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
