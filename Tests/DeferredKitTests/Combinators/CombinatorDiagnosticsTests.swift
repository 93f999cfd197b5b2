@testable import DeferredKit
import Testing

/// Errors a combinator consumed are never reported as unhandled. Each test uses its own error ids
/// (31xx) so that it finds its own events among those of tests running in parallel.
@Suite("Combinators: consumed errors")
struct CombinatorsDiagnosticsTests {
    init() { DiagnosticsSpy.install() }

    @Test func inputErrorsConsumedByAllAreNotReported() {
        do {
            let late = Deferred<Int>()
            let all = Deferred.all([Deferred<Int>.rejected(TestError(3101)), .rejected(TestError(3102)), late])
            _ = all.result
        }
        #expect(DiagnosticsSpy.unhandledErrors(withID: 3101).isEmpty)
        #expect(DiagnosticsSpy.unhandledErrors(withID: 3102).isEmpty)
    }

    @Test func inputErrorsConsumedByFirstSuccessAndAllSettledAreNotReported() {
        do {
            let a = Deferred<Int>(), b = Deferred<Int>()
            let first = Deferred.firstSuccess([a, b])
            let settled = Deferred.allSettled([a, b])
            a.reject(TestError(3103))
            b.reject(TestError(3104))
            _ = first.result
            _ = settled.result
        }
        #expect(DiagnosticsSpy.unhandledErrors(withID: 3103).isEmpty)
        #expect(DiagnosticsSpy.unhandledErrors(withID: 3104).isEmpty)
    }

    @Test func inputErrorsConsumedByGroupsAndWatchListsAreNotReported() {
        do {
            let group = DeferredGroup<Int>()
            group.add(.rejected(TestError(3105)))
            _ = group.values().result
            let unread = DeferredGroup<Int>()
            unread.add(.rejected(TestError(3106)))
            let list = DeferredWatchList<Int>()
            list.watch(.rejected(TestError(3107)))
        }
        for id in 3105...3107 { #expect(DiagnosticsSpy.unhandledErrors(withID: id).isEmpty) }
    }

    @Test func anUnobservedCombinedErrorIsStillReported() {
        do {
            let a = Deferred<Int>()
            _ = Deferred.race([a])
            a.reject(TestError(3108))
        }
        // The race result, which nobody read, is reported once — its input is not.
        #expect(DiagnosticsSpy.unhandledErrors(withID: 3108).count == 1)
    }
}
