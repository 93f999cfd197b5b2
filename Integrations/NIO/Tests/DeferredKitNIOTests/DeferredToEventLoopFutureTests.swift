import DeferredKit
import DeferredKitNIO
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

/// The result of `future`, if it has one now (callbacks of a fulfilled future run at once on its loop).
func currentResult<T: Sendable>(of future: EventLoopFuture<T>) -> Result<T, any Error>? {
    let box = NIOLockedValueBox<Result<T, any Error>?>(nil)
    future.whenComplete { result in box.withLockedValue { $0 = result } }
    return box.withLockedValue { $0 }
}

// MARK: - deferred.future(on:)

@Suite("Deferred.future(on:)")
struct DeferredToEventLoopFutureTests {
    @Test("a complete Deferred, asked for on its loop, gives a future that is already complete")
    func completeOnTheLoopIsImmediate() throws {
        let loop = EmbeddedEventLoop()
        let future = Deferred.resolved(5).future(on: loop)
        #expect(try currentResult(of: future)?.get() == 5)
    }

    @Test("a Deferred resolved on the loop completes the future in the same call, without a hop")
    func resolvedOnTheLoop() throws {
        let loop = EmbeddedEventLoop()
        let deferred = Deferred<String>()
        let future = deferred.future(on: loop)
        #expect(currentResult(of: future) == nil)
        deferred.resolve("now")
        // EmbeddedEventLoop runs scheduled work only in run(): a hop would leave the future pending here.
        #expect(try currentResult(of: future)?.get() == "now")
    }

    @Test("a Deferred resolved off the loop hops: the future's callbacks run on the loop")
    func resolvedOffTheLoopHops() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let deferred = Deferred<Int>()
        let future = deferred.future(on: loop)
        let onLoop = future.map { value in (value, loop.inEventLoop) }
        deferred.resolve(9)
        let (value, ranOnLoop) = try await onLoop.get()
        #expect(value == 9)
        #expect(ranOnLoop)
    }

    @Test("a complete Deferred asked for off the loop gives a complete future whose callbacks run on the loop")
    func completeOffTheLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let future = Deferred<Int>.rejected(TestError()).future(on: loop)
        let failedOnLoop = future.map { _ in false }.flatMapErrorThrowing { error in
            error is TestError && loop.inEventLoop
        }
        #expect(try await failedOnLoop.get())
    }

    @Test("the Deferred's error fails the future")
    func errorFailsTheFuture() throws {
        let loop = EmbeddedEventLoop()
        let deferred = Deferred<Int>()
        let future = deferred.future(on: loop)
        deferred.reject(TestError())
        #expect(throws: TestError.self) { try currentResult(of: future)?.get() }
    }

    @Test("cancelling the Deferred fails the future with CancellationError")
    func cancellingTheDeferredFailsTheFuture() throws {
        let loop = EmbeddedEventLoop()
        let deferred = Deferred<Int>()
        let future = deferred.future(on: loop)
        deferred.cancel()
        #expect(throws: CancellationError.self) { try currentResult(of: future)?.get() }
    }

    @Test("a Deferred dropped while pending fails the future with DeferredAbandonedError, never leaking the promise")
    func abandonedDeferredFailsTheFuture() throws {
        let loop = EmbeddedEventLoop()
        var deferred: Deferred<Int>? = Deferred<Int>()
        let future = deferred!.future(on: loop)
        #expect(currentResult(of: future) == nil)
        deferred = nil  // the producer drops it: a leaked promise would trap in NIO's debug checks
        #expect(throws: DeferredAbandonedError.self) { try currentResult(of: future)?.get() }
    }

    @Test("a dropped pending chain fails the future at its end too")
    func abandonedChainFailsTheFuture() throws {
        let loop = EmbeddedEventLoop()
        var root: Deferred<Int>? = Deferred<Int>()
        let future = root!.map { $0 + 1 }.map { $0 * 2 }.future(on: loop)
        root = nil
        let result = currentResult(of: future)
        #expect(result != nil)
        #expect(throws: (any Error).self) { try result?.get() }
    }

    @Test("the future is a permanent dependent: withdrawing every other dependent does not cancel the Deferred")
    func futureKeepsTheDeferredWanted() throws {
        let loop = EmbeddedEventLoop()
        let deferred = Deferred<Int>()
        let future = deferred.future(on: loop)
        let other = deferred.map { $0 }
        other.cancel()
        #expect(!deferred.isComplete)
        deferred.resolve(3)
        #expect(try currentResult(of: future)?.get() == 3)
    }
}

// MARK: - makeFutureWithDeferred

@Suite("EventLoop.makeFutureWithDeferred")
struct MakeFutureWithDeferredTests {
    @Test("a body that never suspends, started on the loop, gives a future that is already complete")
    func bodyThatNeverSuspends() throws {
        let loop = EmbeddedEventLoop()
        let future = loop.makeFutureWithDeferred { 21 * 2 }
        #expect(try currentResult(of: future)?.get() == 42)
    }

    @Test("a body that suspends completes the future on the loop")
    func bodyThatSuspends() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let future = loop.makeFutureWithDeferred { () async throws -> Int in
            await Task.yield()
            return 8
        }
        let (value, onLoop) = try await future.map { ($0, loop.inEventLoop) }.get()
        #expect(value == 8)
        #expect(onLoop)
    }

    @Test("what the body throws fails the future")
    func bodyThatThrows() async {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let future = loop.makeFutureWithDeferred { () async throws -> Int in
            await Task.yield()
            throw TestError()
        }
        await #expect(throws: TestError.self) { try await future.get() }
    }
}
