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
public final class SerialQueueFuture<Value: Sendable>: AsyncSequence, @unchecked Sendable {
    /// Each element is one input's result.
    public typealias Element = Result<Value, any Error>
    /// The iterator, shared with the other ndb queue.
    public typealias AsyncIterator = ResultChannelIterator<Value>

    // Guarded by `lock`.
    private let lock = InternalLock()
    private var isClosed = false
    private let channel = ResultChannel<Value>()

    /// Creates an empty queue.
    ///
    /// ```swift
    /// let rows = SerialQueueFuture<Row>()
    /// ```
    public init() {}

    private var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }

    // MARK: Adding

    /// Adds `input` as the next element.
    ///
    /// ```swift
    /// rows.add(fetch(page))
    /// ```
    public func add(_ input: Deferred<Value>) {
        lock.withLock {
            precondition(!isClosed, "SerialQueueFuture.add(_:) called after complete() or fail(_:)")
        }
        // The queue wants the result on behalf of its consumer, and counts as having received an error.
        input.addDependent(dependentID) { _ in }
        channel.push(input)
    }

    /// Adds a value that is already known as the next element.
    ///
    /// ```swift
    /// rows.put(header)
    /// ```
    public func put(_ value: Value) {
        add(.resolved(value))
    }

    // MARK: Finishing

    /// Declares that nothing more will be added: iteration ends after the inputs already added.
    ///
    /// ```swift
    /// rows.complete()
    /// ```
    public func complete() {
        close("complete()")
        channel.finish()
    }

    /// Ends the queue with `error`: the inputs already added are delivered, then iteration throws `error`.
    ///
    /// ```swift
    /// rows.fail(QueryAborted())
    /// ```
    public func fail(_ error: any Error) {
        close("fail(_:)")
        channel.finish(throwing: error)
    }

    private func close(_ operation: String) {
        lock.withLock {
            precondition(!isClosed, "SerialQueueFuture.\(operation) called after complete() or fail(_:)")
            isClosed = true
        }
    }

    // MARK: Iterating

    /// An iterator over the results (usually made by `for try await`), in the order added.
    public func makeAsyncIterator() -> ResultChannelIterator<Value> {
        ResultChannelIterator(channel)
    }
}
