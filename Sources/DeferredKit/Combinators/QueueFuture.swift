// MARK: - QueueFuture

/// A queue of results in completion order: add Deferreds and values, then `complete()`; iterate to
/// receive each result as soon as it is ready — ndb's `QueueFuture`.
///
/// Each element is a `Result`: an input's failure is an element, not the end. Iteration ends after
/// `complete()` once every added input has been delivered; after `fail(_:)` (ndb's `set_exception`) the
/// results already ready are delivered, then iteration throws that error. Several consumers may iterate
/// the same queue; each result goes to exactly one of them. Adding after `complete()`/`fail(_:)`, or
/// finishing twice, traps. The queue is a dependent of every pending input it was given.
///
/// ```swift
/// let downloads = QueueFuture<Data>()
/// for url in urls { downloads.add(fetch(url)) }
/// downloads.complete()
/// for try await result in downloads { show(result) }   // fastest first
/// ```
public final class QueueFuture<Value: Sendable>: AsyncSequence, Sendable {
    /// Each element is one input's result.
    public typealias Element = Result<Value, any Error>
    /// The iterator, shared with the other ndb queue.
    public typealias AsyncIterator = ResultChannelIterator<Value>

    private let stream = ResultStream<Value>(order: .completion, typeName: "QueueFuture")

    /// Creates an empty queue.
    ///
    /// ```swift
    /// let queue = QueueFuture<Int>()
    /// ```
    public init() {}

    // MARK: Adding

    /// Adds `input`: its result is queued when it completes.
    ///
    /// ```swift
    /// queue.add(fetch(url))
    /// ```
    public func add(_ input: Deferred<Value>) {
        stream.add(input)
    }

    /// Queues a value that is already known.
    ///
    /// ```swift
    /// queue.put(42)
    /// ```
    public func put(_ value: Value, file: StaticString = #fileID, line: UInt = #line) {
        add(.resolved(value, file: file, line: line))
    }

    // MARK: Finishing

    /// Declares that nothing more will be added: iteration ends once every input has been delivered.
    ///
    /// ```swift
    /// queue.complete()
    /// ```
    public func complete() {
        stream.finish()
    }

    /// Ends the queue with `error`: results already ready are delivered, then iteration throws `error`.
    /// The queue withdraws from the inputs still pending (each one nobody else wants is cancelled).
    ///
    /// ```swift
    /// queue.fail(QueryAborted())
    /// ```
    public func fail(_ error: any Error) {
        stream.finish(throwing: error)
    }

    // MARK: Iterating

    /// An iterator over the results (usually made by `for try await`), in completion order.
    ///
    /// ```swift
    /// var results = queue.makeAsyncIterator()
    /// ```
    public func makeAsyncIterator() -> ResultChannelIterator<Value> {
        ResultChannelIterator(stream)
    }
}
