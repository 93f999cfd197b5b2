import Testing
@testable import DeferredKit

@Suite("Callback adapters")
struct CallbackAdapterTests {
    func legacyResult(_ value: Int, done: @escaping @Sendable (Result<Int, any Error>) -> Void) { done(.success(value)) }
    func legacyPair(_ value: Int?, _ error: (any Error)?, done: @escaping @Sendable (Int?, (any Error)?) -> Void) {
        done(value, error)
    }

    @Test func resultHandlerBecomesADeferred() {
        let d = Deferred<Int>.fromCallback { done in legacyResult(3, done: done) }
        #expect(d.result?.successValue == 3)
    }

    @Test func valueErrorHandlerBecomesADeferred() {
        let ok = Deferred<Int>.fromCallback { done in legacyPair(4, nil, done: done) }
        let bad = Deferred<Int>.fromCallback { done in legacyPair(nil, TestError(1), done: done) }
        #expect(ok.result?.successValue == 4)
        #expect(bad.result?.failureError as? TestError == TestError(1))
    }

    @Test func neitherValueNorErrorRejectsWithADescriptiveError() {
        let d = Deferred<Int>.fromCallback { done in legacyPair(nil, nil, done: done) }
        let error = d.result?.failureError as? MissingCallbackResultError
        #expect(error != nil)
        #expect(error?.description.contains("neither a value nor an error") == true)
    }

    @Test func handlerCalledTwiceIsReportedNotACrash() {
        DiagnosticsSpy.install()
        let d = Deferred<Int>.fromCallback { done in done(.success(1)); done(.success(2)) }; let line: UInt = #line
        #expect(d.result?.successValue == 1)
        #expect(DiagnosticsSpy.completedTwice(atLine: line).count == 1)
    }

    @Test func handlerCalledLaterFromAnotherThreadCompletesTheDeferred() async throws {
        let d = Deferred<Int>.fromCallback { done in Task.detached { done(.success(6)) } }
        #expect(try await d.value == 6)
    }

    @Test func asyncCodeFeedsACompletionHandler() async {
        let received = Deferred<Int>()
        Deferred { 10 }.whenComplete { received.complete(with: $0) }
        #expect(received.result?.successValue == 10)
    }
}
