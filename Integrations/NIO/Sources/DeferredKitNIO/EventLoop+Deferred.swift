import DeferredKit
import NIOCore

// MARK: - Async work as an EventLoopFuture

extension EventLoop {
    /// Starts `body` at once, as `Deferred { … }` does, and returns a future on this loop for its result —
    /// the DeferredKit counterpart of NIO's `makeFutureWithTask`.
    ///
    /// The body runs synchronously on the calling thread until its first real suspension, so a body that
    /// never suspends, called on this loop, yields an already-completed future: no task hop, no loop hop.
    /// A body that suspends goes on in a task, and the future completes on this loop when it returns or
    /// throws.
    ///
    /// - Failure: what the body throws fails the future.
    /// - Cancellation: a future cannot be cancelled, so the body runs to the end.
    ///
    /// ```swift
    /// let page: EventLoopFuture<Page> = channel.eventLoop.makeFutureWithDeferred {
    ///     try await cache.page(for: path) ?? renderer.render(path)
    /// }
    /// ```
    @inlinable
    public func makeFutureWithDeferred<Value: Sendable>(
        file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () async throws -> Value
    ) -> EventLoopFuture<Value> {
        Deferred<Value>(isolation: nil, file: file, line: line) { try await body() }
            .future(on: self, file: file, line: line)
    }
}
