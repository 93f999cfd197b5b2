import DeferredKit
import NIOCore

// MARK: - EventLoopFuture as a Deferred

extension EventLoopFuture where Value: Sendable {
    /// A Deferred with this future's result.
    ///
    /// - Threading: the Deferred completes inside the future's own callback, on the future's event loop,
    ///   in the same turn as the future: the adapter adds no hop. (NIO runs every future callback on its
    ///   loop, so a future that is already complete completes the Deferred at once when the caller is on
    ///   that loop, and on the loop's next turn otherwise.) Observers of the Deferred run there too.
    /// - Failure: the future's error is the Deferred's error, unchanged.
    /// - Cancellation: cancelling the Deferred withdraws it only. It is rejected with `CancellationError`
    ///   at once, but an `EventLoopFuture` cannot be cancelled: the work behind the future goes on, and
    ///   its result is dropped when it arrives. Cancel the work itself (close the channel, say) if it
    ///   must stop.
    ///
    /// ```swift
    /// let response = client.execute(request).deferred      // Deferred<Response>
    /// let body = response.map { $0.body }
    /// ```
    @inlinable
    public var deferred: Deferred<Value> {
        // Inlinable, on the inlinable core entry points, so that it is specialised in the caller's module:
        // unspecialised generic code costs several times NIO's own callback.
        let deferred = Deferred<Value>()
        whenComplete { result in deferred.complete(with: result) }
        return deferred
    }
}
