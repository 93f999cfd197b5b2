import Testing
@testable import DeferredKit

@Suite("Diagnostics")
struct DiagnosticsTests {
    @Test func unhandledErrorIsReportedWithItsCreationSite() {
        DiagnosticsSpy.install()
        do {
            let d = Deferred<Int>(); let line: UInt = #line
            d.reject(TestError(1001))
            let events = DiagnosticsSpy.unhandledErrors(withID: 1001)
            #expect(events.isEmpty)  // still alive: not reported yet
            _ = consume d
            let after = DiagnosticsSpy.unhandledErrors(withID: 1001)
            #expect(after.count == 1)
            #expect(after.first?.site.line == line)
            #expect(after.first?.site.fileID == #fileID)
            #expect(after.first?.description.contains("unhandled error") == true)
        }
    }

    @Test func anErrorReceivedByAnObserverIsNotReported() {
        DiagnosticsSpy.install()
        do { let d = Deferred<Int>(); d.whenComplete { _ in }; d.reject(TestError(1002)) }
        do { let d = Deferred<Int>.rejected(TestError(1002)); _ = d.result }
        do { let d = Deferred<Int>.rejected(TestError(1002)); d.whenComplete { _ in } }
        do { let d = Deferred<Int>.rejected(TestError(1002)); _ = d.recover { _ in 0 } }
        #expect(DiagnosticsSpy.unhandledErrors(withID: 1002).isEmpty)
    }

    @Test func anErrorReceivedByAnAwaiterIsNotReported() async {
        DiagnosticsSpy.install()
        do {
            let d = Deferred<Int>.rejected(TestError(1003))
            _ = await d.settled
        }
        #expect(DiagnosticsSpy.unhandledErrors(withID: 1003).isEmpty)
    }

    @Test func anErrorPassedDownAChainIsReportedAtTheEndOfTheChain() {
        DiagnosticsSpy.install()
        do {
            let d = Deferred<Int>()
            _ = d.map { $0 + 1 }  // receives the error, and nobody receives it from there
            d.reject(TestError(1004))
        }
        #expect(DiagnosticsSpy.unhandledErrors(withID: 1004).count == 1)
    }

    @Test func cancellationIsNeverReportedAsUnhandled() {
        DiagnosticsSpy.install()
        var line: UInt = 0
        do { let d = Deferred<Int>(); line = #line; d.cancel() }
        do { let d = Deferred<Int>(); let m = d.map { $0 }; _ = m; d.reject(CancellationError()) }
        #expect(DiagnosticsSpy.unhandledErrors(atLine: line).isEmpty)
        // The same shape with a real error is reported, so the query above can see such events.
        var errorLine: UInt = 0
        do { let d = Deferred<Int>(); errorLine = #line; d.reject(TestError(1005)) }
        #expect(DiagnosticsSpy.unhandledErrors(atLine: errorLine).count == 1)
    }

    @Test func aPassiveObserverDoesNotCountAsReceivingTheError() {
        DiagnosticsSpy.install()
        do {
            let d = Deferred<Int>()
            d.addPassiveObserver { _ in }  // e.g. a pool tracking it: no interest, no handling
            d.reject(TestError(1006))
        }
        do {
            let d = Deferred<Int>.rejected(TestError(1006))
            d.addPassiveObserver { _ in }
        }
        #expect(DiagnosticsSpy.unhandledErrors(withID: 1006).count == 2)
    }

    @Test func eventsDescribeTheKindAndTheSite() {
        let site = DeferredCallSite("Mod/File.swift", 12)
        let event = DeferredDiagnostics.Event(
            kind: .completedTwice, site: site, creationSite: DeferredCallSite("Mod/File.swift", 3),
            firstCompletionSite: DeferredCallSite("Mod/File.swift", 10))
        #expect(event.description == "DeferredKit: Deferred created at Mod/File.swift:3 completed twice at Mod/File.swift:12, first completed at Mod/File.swift:10; the second completion was ignored")
    }
}
