// MARK: - SerialQueueFuture

/// A queue of results in the order added: add Deferreds and values, then `complete()`; iterate to
/// receive each result in turn, waiting for an input that is not ready yet — ndb's `SerialQueueFuture`.
///
/// Each element is a `Result`: an input's failure is an element, not the end. Iteration ends after
/// `complete()` once every added input has been delivered; after `fail(_:)` the inputs already added
/// are delivered, then iteration throws that error. Adding after `complete()`/`fail(_:)`, or finishing
/// twice, traps. The queue is a dependent of every input it was given, until that input completes.
///
/// ```swift
/// let rows = SerialQueueFuture<Row>()
/// for page in pages { rows.add(fetch(page)) }
/// rows.complete()
/// for try await row in rows { print(try row.get()) }   // page order
/// ```
public final class SerialQueueFuture<Value: Sendable>: AsyncSequence, Sendable {
    /// Each element is one input's result.
    public typealias Element = Result<Value, any Error>
    /// The iterator, shared with the other ndb queue.
    public typealias AsyncIterator = ResultChannelIterator<Value>

    private let stream = ResultStream<Value>(order: .addition, typeName: "SerialQueueFuture")

    /// Creates an empty queue.
    ///
    /// ```swift
    /// let rows = SerialQueueFuture<Row>()
    /// ```
    public init() {}

    // MARK: Adding

    /// Adds `input` as the next element.
    ///
    /// ```swift
    /// rows.add(fetch(page))
    /// ```
    public func add(_ input: Deferred<Value>) {
        stream.add(input)
    }

    /// Adds a value that is already known as the next element.
    ///
    /// ```swift
    /// rows.put(header)
    /// ```
    public func put(_ value: Value, file: StaticString = #fileID, line: UInt = #line) {
        add(.resolved(value, file: file, line: line))
    }

    // MARK: Finishing

    /// Declares that nothing more will be added: iteration ends after the inputs already added.
    ///
    /// ```swift
    /// rows.complete()
    /// ```
    public func complete() {
        stream.finish()
    }

    /// Ends the queue with `error`: the inputs already added are delivered, then iteration throws `error`.
    ///
    /// ```swift
    /// rows.fail(QueryAborted())
    /// ```
    public func fail(_ error: any Error) {
        stream.finish(throwing: error)
    }

    // MARK: Iterating

    /// An iterator over the results (usually made by `for try await`), in the order added.
    public func makeAsyncIterator() -> ResultChannelIterator<Value> {
        ResultChannelIterator(stream)
    }
}
