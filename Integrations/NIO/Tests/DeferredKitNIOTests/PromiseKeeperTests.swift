import DeferredKit
@testable import DeferredKitNIO
import NIOEmbedded
import Testing

// MARK: - PromiseKeeper

@Suite("PromiseKeeper")
struct PromiseKeeperTests {
    @Test("a keeper freed before completing fails its promise with DeferredAbandonedError naming the call")
    func freedKeeperFailsThePromise() throws {
        let loop = EmbeddedEventLoop()
        var keeper: PromiseKeeper<Int>? = PromiseKeeper(loop.makePromise(of: Int.self), file: "App/Handler.swift", line: 12)
        let future = keeper!.promise.futureResult
        keeper = nil  // without the keeper's deinit, NIO's debug build would trap on a leaked promise
        let result = try #require(currentResult(of: future))
        #expect(throws: DeferredAbandonedError.self) { try result.get() }
        if case .failure(let error as DeferredAbandonedError) = result {
            #expect("\(error.creationSite)" == "App/Handler.swift:12")
        }
    }

    @Test("a keeper that completed its promise leaves it alone when freed")
    func completedKeeperIsQuiet() throws {
        let loop = EmbeddedEventLoop()
        var keeper: PromiseKeeper<Int>? = PromiseKeeper(loop.makePromise(of: Int.self), file: #fileID, line: #line)
        let future = keeper!.promise.futureResult
        keeper!.complete(with: .success(4))
        keeper = nil
        #expect(try currentResult(of: future)?.get() == 4)
    }
}
