import Testing
@testable import DeferredKit

@Suite("No reference cycles")
struct ReferenceCycleTests {
    @Test func aDroppedPendingChainIsFreed() {
        weak var root: Deferred<Int>?
        weak var middle: Deferred<Int>?
        weak var leaf: Deferred<String>?
        do {
            let r = Deferred<Int>()
            let m = r.map { $0 + 1 }
            let l = m.flatMap { Deferred<String>.resolved("\($0)") }
            root = r; middle = m; leaf = l
            #expect(leaf != nil)
        }
        #expect(root == nil)
        #expect(middle == nil)
        #expect(leaf == nil)
    }

    @Test func aDerivedDeferredDoesNotKeepItsSourceAlive() {
        weak var source: Deferred<Int>?
        let derived: Deferred<Int>
        do {
            let s = Deferred<Int>()
            source = s
            derived = s.map { $0 }
        }
        #expect(source == nil)
        // Nobody can complete the source any more: its dependent is told so instead of waiting forever.
        #expect(derived.result?.failureError is DeferredAbandonedError)
    }

    // A derived Deferred holds a derived source strongly (no weak-reference side table per link); these
    // pin that the cycle this makes with the source's observer list never outlives the source's pendency.

    @Test func aDroppedRootFreesEveryDerivedLinkAndAbandonsTheTail() {
        weak var root: Deferred<Int>?
        weak var first: Deferred<Int>?
        weak var second: Deferred<Int>?
        weak var third: Deferred<Int>?
        let tail: Deferred<Int>
        do {
            let r = Deferred<Int>()
            let a = r.map { $0 + 1 }
            let b = a.recover { _ in 0 }
            let c = b.flatMap { Deferred.resolved($0) }
            tail = c.always { _ in }
            root = r; first = a; second = b; third = c
        }
        #expect(root == nil)
        #expect(first == nil)
        #expect(second == nil)
        #expect(third == nil)
        // `recover` turned the abandonment into a value on the way: the links ran, in order.
        #expect(tail.result?.successValue == 0)
    }

    @Test func aCompletedChainFreesItsLinksWhileTheTailIsHeld() {
        weak var first: Deferred<Int>?
        weak var second: Deferred<Int>?
        let root = Deferred<Int>()
        let tail: Deferred<Int>
        do {
            let a = root.map { $0 + 1 }
            let b = a.map { $0 * 2 }
            tail = b.mapError { $0 }
            first = a; second = b
        }
        #expect(first != nil)  // pending: held by the root's observers
        root.resolve(1)
        #expect(tail.result?.successValue == 4)
        #expect(first == nil)
        #expect(second == nil)
    }

    @Test func aWithdrawnDependentReleasesItsDerivedSource() {
        weak var middle: Deferred<Int>?
        let withdrawn: Deferred<Int>
        let other: Deferred<Int>
        do {
            let root = Deferred<Int>()
            let m = root.map { $0 }
            withdrawn = m.map { $0 }
            other = m.map { $0 }
            middle = m
            withdrawn.cancel()
            #expect(withdrawn.result?.failureError is CancellationError)
            #expect(other.isComplete == false)
        }
        // The root is gone, so the middle link is freed (and abandoned), although the withdrawn dependent
        // that referred to it strongly is still held.
        #expect(middle == nil)
        #expect(other.result?.failureError is DeferredAbandonedError)
        _ = withdrawn
    }

    @Test func aCompletedDeferredIsNotKeptAliveByTheLibrary() async throws {
        weak var weakD: Deferred<Int>?
        do {
            let d = Deferred<Int>()
            weakD = d
            let m = d.map { $0 }
            d.resolve(1)
            _ = try await d.value
            _ = m
        }
        #expect(weakD == nil)
    }

    @Test func aFinishedTaskletIsFreed() async throws {
        weak var weakD: Deferred<Int>?
        do {
            let gate = Deferred<Int>()
            let d = Deferred { try await gate.value }
            weakD = d
            gate.resolve(1)
            _ = try await d.value
        }
        // The task's closure releases the Deferred once the body has returned.
        for _ in 0..<100 where weakD != nil { await Task.yield() }
        #expect(weakD == nil)
    }
}
