import Testing
@testable import DeferredKit

@Suite("The tasklet form")
struct TaskletTests {
    @Test func bodyThatNeverSuspendsYieldsAnAlreadyResolvedDeferred() {
        let d = Deferred { 5 }
        #expect(d.result?.successValue == 5)
    }

    @Test func bodyThatThrowsBeforeSuspendingYieldsAnAlreadyRejectedDeferred() {
        let d = Deferred<Int> { throw TestError(3) }
        #expect(d.result?.failureError as? TestError == TestError(3))
    }

    @MainActor
    @Test func bodyRunsSynchronouslyOnTheCallersIsolation() {
        var steps: [String] = []
        let d = Deferred { () -> Int in
            MainActor.assertIsolated()
            steps.append("body")
            return 1
        }
        steps.append("after init")
        #expect(steps == ["body", "after init"])
        #expect(d.result?.successValue == 1)
    }

    @Test func bodyThatSuspendsCompletesLater() async throws {
        let gate = Deferred<Int>()
        let d = Deferred { try await gate.value + 1 }
        #expect(!d.isComplete)
        gate.resolve(1)
        #expect(try await d.value == 2)
    }

    @Test func cancelCancelsTheBodyWhichMayCatchAndGoOn() async throws {
        let gate = Deferred<Int>()
        let d = Deferred { () async throws -> String in
            do {
                return String(try await gate.value)
            } catch is CancellationError {
                return "caught"
            }
        }
        d.cancel()
        #expect(try await d.value == "caught")
        #expect(isCancellation(gate.result))  // the body was gate's only dependent
    }

    @Test func cancellationIsStickyForPendingButNotForCompletedDeferreds() async throws {
        let gate = Deferred<Int>()
        let later = Deferred<Int>()
        let done = Deferred.resolved(9)
        let d = Deferred { () async throws -> [String] in
            var log: [String] = []
            do { _ = try await gate.value } catch { log.append("gate: \(type(of: error))") }
            do { _ = try await later.value } catch { log.append("later: \(type(of: error))") }
            log.append("done: \(try await done.value)")
            return log
        }
        d.cancel()
        #expect(try await d.value == ["gate: CancellationError", "later: CancellationError", "done: 9"])
    }

    @Test func bodyMayReturnADeferredAsAPlainValue() {
        let inner = Deferred<Int>()
        let d = Deferred { inner }
        #expect(d.result?.successValue === inner)
        #expect(!inner.isComplete)
    }

    @Test func taskBackedDeferredCancelsTheTask() async throws {
        let task = Task<Int, any Error> {
            try await Task.sleep(for: .seconds(3600))
            return 1
        }
        let d = Deferred(task)
        d.cancel()
        await #expect(throws: CancellationError.self) { try await d.value }
        #expect(task.isCancelled)
    }

    @Test func taskBackedDeferredReportsTheTasksResult() async throws {
        let d = Deferred(Task<Int, any Error> { 8 })
        #expect(try await d.value == 8)
    }
}
