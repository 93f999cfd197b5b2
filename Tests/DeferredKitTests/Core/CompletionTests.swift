import Testing
@testable import DeferredKit

@Suite("Completes once")
struct CompletionTests {
    @Test func secondCompletionReturnsFalseAndChangesNothing() {
        DiagnosticsSpy.install()
        let d = Deferred<Int>()
        #expect(d.resolve(1))
        #expect(!d.resolve(2))
        #expect(!d.reject(TestError()))
        #expect(!d.complete(with: .success(3)))
        #expect(d.result?.successValue == 1)
    }

    @Test func doubleCompletionIsReportedWithBothCallSites() {
        DiagnosticsSpy.install()
        let d = Deferred<Int>()
        d.resolve(1); let firstLine: UInt = #line
        d.resolve(2); let secondLine: UInt = #line
        let events = DiagnosticsSpy.completedTwice(atLine: secondLine)
        #expect(events.count == 1)
        #expect(events.first?.firstCompletionSite?.line == firstLine)
        #expect(events.first?.description.contains("completed twice") == true)
    }

    @Test func lateCompletionAfterCancelIsSilentlyIgnored() {
        DiagnosticsSpy.install()
        let d = Deferred<Int>()
        d.cancel()
        #expect(isCancellation(d.result))
        let ignored = d.resolve(5); let line: UInt = #line
        #expect(!ignored)
        #expect(DiagnosticsSpy.completedTwice(atLine: line).isEmpty)
        #expect(isCancellation(d.result))
    }

    @Test func resolvedAndRejectedAreCompleteFromTheStart() {
        #expect(Deferred.resolved(3).result?.successValue == 3)
        #expect(Deferred<Int>.rejected(TestError(7)).result?.failureError as? TestError == TestError(7))
        #expect(Deferred<Int>().isComplete == false)
        #expect(Deferred.resolved(1).isComplete)
    }
}
