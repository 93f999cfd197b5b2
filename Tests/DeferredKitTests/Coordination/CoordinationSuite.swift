import Synchronization
import Testing
@testable import DeferredKit

/// Groups the coordination suites, so that `swift test --filter Coordination` runs them all.
@Suite enum Coordination {}

// Helpers live inside `Coordination` so that they never clash with other suites' helpers.
extension Coordination {
    /// A value shared between the test and its observers, behind the library's lock: ThreadSanitizer
    /// understands its hand-offs (a `Synchronization.Mutex` waits in an uninstrumented futex on Linux and
    /// draws false reports).
    final class Shared<T: Sendable>: @unchecked Sendable {
        private let lock = InternalLock()
        private var state: T
        init(_ value: T) { state = value }
        var value: T { lock.withLock { state } }
        func update<R: Sendable>(_ body: (inout T) -> R) -> R { lock.withLock { body(&state) } }
    }

    /// Yields until `condition` holds (the other side is a task making progress, not time passing).
    static func eventually(_ condition: () -> Bool) async {
        var spins = 0
        while !condition() {
            await Task.yield()
            spins += 1
            precondition(spins < 10_000_000, "condition never became true")
        }
    }

    /// The stack address of a local, to measure how deep observers run.
    @inline(never)
    static func stackAddress() -> UInt {
        var marker = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }

    struct TestError: Error, Equatable {
        var code = 0
    }

    /// An atomic counter that closures can share.
    final class Counter: Sendable {
        let atomic = Atomic(0)
        /// Adds `n` and returns the new value.
        @discardableResult
        func add(_ n: Int = 1) -> Int { atomic.add(n, ordering: .relaxed).newValue }
        func subtract(_ n: Int = 1) { atomic.subtract(n, ordering: .relaxed) }
        func raise(to n: Int) { atomic.max(n, ordering: .relaxed) }
        var value: Int { atomic.load(ordering: .relaxed) }
    }
}

extension Coordination.Shared where T == [Int] {
    func append(_ element: Int) { update { $0.append(element) } }
}
