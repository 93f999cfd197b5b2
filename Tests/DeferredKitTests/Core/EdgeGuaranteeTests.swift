import Testing
@testable import DeferredKit

/// The core's promises at its edges: no user code under a lock (deinitialisers included), waiters of an
/// abandoned Deferred end, library-owned Deferreds cannot be completed from outside.
@Suite("Edge guarantees")
struct EdgeGuaranteeTests {
    // MARK: No user code under a lock

    /// Completes (or reads) a Deferred from its `deinit`.
    final class TouchesOnDeinit: @unchecked Sendable {
        weak var target: Deferred<Int>?
        let touch: @Sendable (Deferred<Int>) -> Void
        init(_ touch: @escaping @Sendable (Deferred<Int>) -> Void) { self.touch = touch }
        deinit { if let target { touch(target) } }
    }

    @Test func aCancellerWhoseCaptureCompletesTheDeferredOnDeinitDoesNotDeadlock() {
        let object = TouchesOnDeinit { $0.resolve(2) }
        let d = Deferred<Int>(canceller: { [object] _ in _ = object })
        object.target = d
        _ = consume object
        #expect(d.resolve(1))  // drops the canceller, whose capture then tries to complete d again
        #expect(d.result?.successValue == 1)
    }

    @Test func aCancellerWhoseCaptureReadsTheDeferredOnDeinitDoesNotDeadlock() {
        let read = Locked<Bool?>(nil)
        let object = TouchesOnDeinit { d in read.withLock { $0 = d.isComplete } }
        let d = Deferred<Int>(canceller: { [object] _ in _ = object })
        object.target = d
        _ = consume object
        d.reject(TestError(77))
        _ = d.result
        #expect(read.withLock { $0 } == true)
    }

    // MARK: Abandoned Deferreds

    @Test func dependentsOfAFreedPendingDeferredAreRejectedWithDeferredAbandonedError() {
        DiagnosticsSpy.install()
        let derived: Deferred<Int>
        let line: UInt = #line + 2
        do {
            let source = Deferred<Int>()
            derived = source.map { $0 + 1 }
        }
        #expect(derived.result?.failureError is DeferredAbandonedError)
        #expect(DiagnosticsSpy.events(.abandoned, atLine: line).count == 1)
    }

    @Test func awaitersOfACallbackThatIsNeverCalledEnd() async {
        DiagnosticsSpy.install()
        let line: UInt = #line + 1
        let d = Deferred<Int>.fromCallback { (_: @escaping @Sendable (Result<Int, any Error>) -> Void) in }
        await #expect(throws: DeferredAbandonedError.self) { try await d.value }
        #expect(DiagnosticsSpy.events(.abandoned, atLine: line).count == 1)
    }

    @Test func deferredAbandonedErrorIsNeverReportedAsUnhandled() {
        DiagnosticsSpy.install()
        let line: UInt = #line + 1
        do { _ = Deferred<Int>.fromCallback { (_: @escaping @Sendable (Int?, (any Error)?) -> Void) in } }
        #expect(DiagnosticsSpy.unhandledErrors(atLine: line).isEmpty)
    }

    // MARK: Library-owned Deferreds

    @Test func aDerivedDeferredCannotBeCompletedFromOutside() {
        DiagnosticsSpy.install()
        let source = Deferred<Int>()
        let derived = source.map { $0 * 2 }
        let line: UInt = #line + 1
        #expect(!derived.resolve(5))
        #expect(!derived.reject(TestError(1)))
        #expect(derived.result == nil)
        #expect(DiagnosticsSpy.events(.completedByNonOwner, atLine: line).count == 1)
        source.resolve(4)
        #expect(derived.result?.successValue == 8)
    }

    @Test func aPendingTaskletCannotBeCompletedFromOutside() async throws {
        let gate = Deferred<Int>()
        let work = Deferred { try await gate.value + 1 }
        #expect(!work.complete(with: .success(100)))
        gate.resolve(1)
        #expect(try await work.value == 2)
    }

    // MARK: Diagnostics

    @Test func completedTwiceNamesTheCreationSite() {
        DiagnosticsSpy.install()
        let created: UInt = #line + 1
        let d = Deferred<Int>()
        d.resolve(1)
        let again: UInt = #line + 1
        d.resolve(2)
        let events = DiagnosticsSpy.events(.completedTwice, atLine: again)
        #expect(events.count == 1)
        #expect(events.first?.creationSite.line == created)
    }

    // MARK: Withdrawal

    @Test func manyAwaitersWithdrawIndependently() async throws {
        let shared = Deferred<Int>()
        let keeper = shared.map { $0 }
        let waiters = (0..<2_000).map { _ in Task { try await shared.value } }
        await waitForDependents(of: shared, count: 2_001)
        for (index, waiter) in waiters.enumerated() where index % 2 == 0 { waiter.cancel() }
        for (index, waiter) in waiters.enumerated() where index % 2 == 0 {
            await #expect(throws: CancellationError.self) { try await waiter.value }
        }
        shared.resolve(7)
        for (index, waiter) in waiters.enumerated() where index % 2 == 1 {
            #expect(try await waiter.value == 7)
        }
        #expect(keeper.result?.successValue == 7)
    }
}
