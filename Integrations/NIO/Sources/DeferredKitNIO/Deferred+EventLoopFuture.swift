import DeferredKit
import NIOCore
import Synchronization

// MARK: - Deferred as an EventLoopFuture

extension Deferred {
    /// An `EventLoopFuture` on `eventLoop` with this Deferred's result.
    ///
    /// - Threading: the future completes on `eventLoop`, as every NIO future does. There is a hop only
    ///   when the Deferred completes off that loop. When the Deferred is already complete and the caller
    ///   is on `eventLoop`, the returned future is already complete: no promise, no hop.
    /// - Failure: the Deferred's error fails the future, and counts as received (it is not reported as
    ///   unhandled). A Deferred that is freed while pending — its producer dropped it — fails the future
    ///   with `DeferredAbandonedError`: the promise is never leaked, so NIO's leaked-promise trap cannot
    ///   fire, whatever happens to the Deferred.
    /// - Cancellation: an `EventLoopFuture` cannot be cancelled, so the future is a permanent dependent
    ///   (like `whenComplete`): as long as the future waits, the Deferred is not cancelled on behalf of
    ///   its other dependents. `cancel()` on the Deferred itself still fails the future with
    ///   `CancellationError` (or completes it with what the canceller supplies).
    ///
    /// ```swift
    /// func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    ///     lookup(key).future(on: context.eventLoop).whenSuccess { value in respond(value) }
    /// }
    /// ```
    public func future(
        on eventLoop: any EventLoop, file: StaticString = #fileID, line: UInt = #line
    ) -> EventLoopFuture<Value> {
        if eventLoop.inEventLoop, let result {
            return eventLoop.makeCompletedFuture(result)
        }
        let keeper = PromiseKeeper(eventLoop.makePromise(of: Value.self, file: file, line: line))
        whenComplete { result in keeper.complete(with: result) }
        return keeper.promise.futureResult
    }
}

// MARK: - PromiseKeeper

/// Owns the promise behind `future(on:)` and guarantees that it is completed exactly once.
///
/// The Deferred's observer completes it; if the observer is freed without having run (the Deferred was
/// dropped while pending, or a future core change releases observers differently), `deinit` fails the
/// promise with `DeferredAbandonedError`. The adapter therefore never depends on the core to avoid
/// NIO's leaked-promise trap.
final class PromiseKeeper<Value: Sendable>: Sendable {
    let promise: EventLoopPromise<Value>
    private let isCompleted = Atomic<Bool>(false)

    init(_ promise: EventLoopPromise<Value>) {
        self.promise = promise
    }

    /// Completes the promise; NIO hops to the promise's loop when called off it.
    func complete(with result: Result<Value, any Error>) {
        isCompleted.store(true, ordering: .releasing)
        promise.completeWith(result)
    }

    deinit {
        if !isCompleted.load(ordering: .acquiring) {
            promise.fail(DeferredAbandonedError())
        }
    }
}
