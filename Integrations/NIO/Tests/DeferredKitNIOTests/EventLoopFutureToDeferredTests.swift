import DeferredKit
import DeferredKitNIO
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

struct TestError: Error, Equatable {}

// MARK: - future.deferred

@Suite("EventLoopFuture.deferred")
struct EventLoopFutureToDeferredTests {
    @Test("completes with the future's value, in the turn that fulfils the promise")
    func completesWithTheFuturesValue() throws {
        let loop = EmbeddedEventLoop()
        let promise = loop.makePromise(of: Int.self)
        let deferred = promise.futureResult.deferred
        #expect(!deferred.isComplete)
        promise.succeed(42)
        #expect(deferred.isComplete)
        #expect(try deferred.result?.get() == 42)
    }

    @Test("passes the future's error through unchanged")
    func passesTheErrorThrough() throws {
        let loop = EmbeddedEventLoop()
        let promise = loop.makePromise(of: Int.self)
        let deferred = promise.futureResult.deferred
        promise.fail(TestError())
        #expect(throws: TestError.self) { try deferred.result?.get() }
    }

    @Test("a future that is already complete gives a complete Deferred when the caller is on its loop")
    func alreadyCompleteOnTheLoop() throws {
        let loop = EmbeddedEventLoop()
        let deferred = loop.makeSucceededFuture("ready").deferred
        #expect(try deferred.result?.get() == "ready")
    }

    @Test("observers of the Deferred run on the future's event loop, with no hop of the adapter's own")
    func completesOnTheFuturesLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Int.self)
        let ranOnLoop = NIOLockedValueBox<Bool?>(nil)
        let seen = promise.futureResult.deferred.map { value in
            ranOnLoop.withLockedValue { $0 = loop.inEventLoop }
            return value
        }
        // Fulfilled from inside a loop task: the Deferred's observers run within that same task.
        let sameTurn = loop.submit { () -> Bool in
            promise.succeed(7)
            return seen.isComplete
        }
        #expect(try await sameTurn.get())
        #expect(try await seen.value == 7)
        #expect(ranOnLoop.withLockedValue { $0 } == true)
    }

    @Test("cancelling the Deferred withdraws it, and the future's work goes on")
    func cancellingWithdrawsOnly() throws {
        let loop = EmbeddedEventLoop()
        let promise = loop.makePromise(of: Int.self)
        let deferred = promise.futureResult.deferred
        deferred.cancel()
        #expect(throws: CancellationError.self) { try deferred.result?.get() }
        promise.succeed(1)  // the work finishes anyway; its result is dropped without a diagnostic
        #expect(throws: CancellationError.self) { try deferred.result?.get() }
        let futureValue = NIOLockedValueBox<Int?>(nil)
        promise.futureResult.whenSuccess { value in futureValue.withLockedValue { $0 = value } }
        #expect(futureValue.withLockedValue { $0 } == 1)
    }
}
