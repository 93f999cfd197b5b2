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
