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

/// A clock that forwards to a `ManualClock` but is not one: the library schedules its timers on it as on
/// any `Hashable` clock (one driver task per clock, sleeping on the clock).
struct ForwardingClock: Clock, Hashable {
    let base: ManualClock
    var now: ManualClock.Instant { base.now }
    var minimumResolution: Duration { .zero }
    func sleep(until deadline: ManualClock.Instant, tolerance: Duration?) async throws {
        try await base.sleep(until: deadline, tolerance: tolerance)
    }
    static func == (a: ForwardingClock, b: ForwardingClock) -> Bool { a.base === b.base }
    func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(base)) }
}

/// A forwarding clock that is not `Hashable` either: the library falls back to one sleeping task per timer.
struct PlainForwardingClock: Clock {
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

/// A gate that async test bodies wait at, ignoring task cancellation (as a body that finishes its
/// clean-up before it ends), until the test opens it.
final class TestGate: Sendable {
    private struct State {
        var open = false
        var waiters: [UnsafeContinuation<Void, Never>] = []
        var arrivals = 0
        var watchers: [(count: Int, continuation: UnsafeContinuation<Void, Never>)] = []
    }
    private let state = TimeLocked(State())

    /// Waits until `open()` (returns at once if already open).
    func wait() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let (go, ready) = state.withLock { state -> (Bool, [UnsafeContinuation<Void, Never>]) in
                state.arrivals += 1
                let ready = state.watchers.filter { $0.count <= state.arrivals }.map(\.continuation)
                state.watchers.removeAll { $0.count <= state.arrivals }
                if state.open { return (true, ready) }
                state.waiters.append(continuation)
                return (false, ready)
            }
            for watcher in ready { watcher.resume() }
            if go { continuation.resume() }
        }
    }

    /// Suspends until at least `count` calls of `wait()` have arrived.
    func waitForArrivals(_ count: Int) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.arrivals >= count { return true }
                state.watchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    var arrivals: Int { state.withLock { $0.arrivals } }

    /// Opens the gate for good: every waiter, present and future, goes on.
    func open() {
        let waiters = state.withLock { state -> [UnsafeContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A small seeded generator for reproducible tests: the model suite's SplitMix64.
typealias TimeSeededGenerator = Model.SplitMix64

