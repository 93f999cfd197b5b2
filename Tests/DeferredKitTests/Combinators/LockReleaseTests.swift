@testable import DeferredKit
import Testing

/// Nothing a user can observe is released while a combinator holds its lock: values, errors and
/// observers taken out of a combinator's state are released after unlocking. Each test frees a value
/// whose `deinit` calls back into the same combinator; released under the lock, that is a recursive
/// lock acquisition, which traps — so each runs in a child process that must exit normally.
@Suite("Combinators: nothing released under a lock")
struct CombinatorsLockReleaseTests {
    @Test func aValueAllDiscardsOnFailureIsReleasedOutsideTheLock() async {
        await #expect(processExitsWith: .success) {
            let output = Slot<Deferred<[Probe]>>()
            let b = Deferred<Probe>()
            do {
                let a = Deferred<Probe>()
                output.value = Deferred.all([a, b])
                a.resolve(Probe { output.value?.cancel() })
            }
            b.reject(TestError(1))   // `all` drops a's value: its deinit cancels the output
            _ = output.value?.result
        }
    }

    @Test func aResultAllSettledDiscardsOnFailFastIsReleasedOutsideTheLock() async {
        await #expect(processExitsWith: .success) {
            let output = Slot<Deferred<[Result<Probe, any Error>]>>()
            let b = Deferred<Probe>()
            do {
                let a = Deferred<Probe>()
                output.value = Deferred.allSettled([a, b], failFast: true)
                a.resolve(Probe { output.value?.cancel() })
            }
            b.reject(TestError(2))
            _ = output.value?.result
        }
    }

    @Test func anErrorFirstSuccessDiscardsOnSuccessIsReleasedOutsideTheLock() async {
        await #expect(processExitsWith: .success) {
            let output = Slot<Deferred<(index: Int, value: Int)>>()
            let b = Deferred<Int>()
            do {
                let a = Deferred<Int>()
                output.value = Deferred.firstSuccess([a, b])
                a.reject(ProbeError(probe: Probe { output.value?.cancel() }))
            }
            b.resolve(1)
            _ = output.value?.result
        }
    }

    @Test func aValueAGroupDiscardsOnFailureIsReleasedOutsideTheLock() async {
        await #expect(processExitsWith: .success) {
            let group = DeferredGroup<Probe>()
            let values = group.values()
            let b = Deferred<Probe>()
            do {
                let a = Deferred<Probe>()
                group.add(a)
                a.resolve(Probe { _ = group.count; group.add(.rejected(TestError(3))) })
            }
            group.add(b)
            b.reject(TestError(4))   // the collected values are dropped; a's deinit calls into the group
            _ = values.result
        }
    }

    @Test func aRemovedListObserverIsReleasedOutsideTheLock() {
        let list = DeferredWatchList<Int>()
        let probe = Probe { _ = list.count }
        let id = list.observe { [probe] _, _ in _ = probe }
        _ = consume probe
        list.removeObserver(id)   // the closure, last owner of the probe, goes after unlocking
    }
}

/// Runs `onDeinit` when freed.
final class Probe: Sendable {
    let onDeinit: @Sendable () -> Void
    init(_ onDeinit: @escaping @Sendable () -> Void) { self.onDeinit = onDeinit }
    deinit { onDeinit() }
}

struct ProbeError: Error {
    let probe: Probe
}

/// A settable reference for a test's closures.
final class Slot<T: Sendable>: @unchecked Sendable {
    private let lock = InternalLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
