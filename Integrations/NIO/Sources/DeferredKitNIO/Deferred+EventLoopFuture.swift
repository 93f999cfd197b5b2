import DeferredKit
import NIOCore
import Synchronization

// MARK: - Deferred as an EventLoopFuture

extension Deferred {
    /// An `EventLoopFuture` on `eventLoop` with this Deferred's result.
    ///
    /// - Threading: the future belongs to `eventLoop`, and its callbacks run there, as every NIO
    ///   future's do. There is a hop only when the Deferred completes off that loop. A Deferred that is
    ///   already complete gives a future that is already complete — no promise, no hop — from any
    ///   thread; called on `eventLoop`, its callbacks then run at once.
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
    @inlinable
    public func future(
        on eventLoop: any EventLoop, file: StaticString = #fileID, line: UInt = #line
    ) -> EventLoopFuture<Value> {
        if let result {
            return eventLoop.makeCompletedFuture(result)  // NIO allows this from any thread
        }
        let keeper = PromiseKeeper(eventLoop.makePromise(of: Value.self, file: file, line: line), file: file, line: line)
        whenComplete { result in keeper.complete(with: result) }
        return keeper.promise.futureResult
    }
}

// MARK: - PromiseKeeper

/// Owns the promise behind `future(on:)` and guarantees that it is completed exactly once.
///
/// The Deferred's observer completes it. DeferredKit gives the observers of an abandoned Deferred
/// `DeferredAbandonedError`; should an observer ever be freed without having run, `deinit` fails the
/// promise with that same error, naming the `future(on:)` call. The adapter therefore does not depend on
/// the core to avoid NIO's leaked-promise trap.
@usableFromInline
final class PromiseKeeper<Value: Sendable>: Sendable {
    @usableFromInline let promise: EventLoopPromise<Value>
    @usableFromInline let isCompleted = Atomic<Bool>(false)
    @usableFromInline let file: StaticString
    @usableFromInline let line: UInt

    @inlinable
    init(_ promise: EventLoopPromise<Value>, file: StaticString, line: UInt) {
        self.promise = promise
        self.file = file
        self.line = line
    }

    /// Completes the promise; NIO hops to the promise's loop when called off it.
    @inlinable
    func complete(with result: Result<Value, any Error>) {
        isCompleted.store(true, ordering: .releasing)
        promise.completeWith(result)
    }

    deinit {
        if !isCompleted.load(ordering: .acquiring) {
            promise.fail(DeferredAbandonedError(createdAt: DeferredCallSite(file: file, line: line)))
        }
    }
}
