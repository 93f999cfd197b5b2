@testable import DeferredKit
import Testing

/// Errors a combinator consumed are never reported as unhandled. Serialized: it installs a handler.
@Suite("Combinators: consumed errors", .serialized)
struct CombinatorsDiagnosticsTests {
    @Test func inputErrorsConsumedByAllAreNotReported() {
        let recorder = DiagnosticsRecorder()
        recorder.install()
        defer { DeferredDiagnostics.resetHandler() }
        do {
            let late = Deferred<Int>()
            let all = Deferred.all([Deferred<Int>.rejected(TestError(1)), .rejected(TestError(2)), late])
            _ = all.result
        }
        #expect(recorder.unhandled().isEmpty)
    }

    @Test func inputErrorsConsumedByFirstSuccessAndAllSettledAreNotReported() {
        let recorder = DiagnosticsRecorder()
        recorder.install()
        defer { DeferredDiagnostics.resetHandler() }
        do {
            let a = Deferred<Int>(), b = Deferred<Int>()
            let first = Deferred.firstSuccess([a, b])
            let settled = Deferred.allSettled([a, b])
            a.reject(TestError(1))
            b.reject(TestError(2))
            _ = first.result
            _ = settled.result
        }
        #expect(recorder.unhandled().isEmpty)
    }

    @Test func anUnobservedCombinedErrorIsStillReported() {
        let recorder = DiagnosticsRecorder()
        recorder.install()
        defer { DeferredDiagnostics.resetHandler() }
        do {
            let a = Deferred<Int>()
            _ = Deferred.race([a])
            a.reject(TestError(1))
        }
        // Only the race result, which nobody read, is reported — not its input.
        #expect(recorder.unhandled().count == 1)
    }
}
