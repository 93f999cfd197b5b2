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
public final class QueueFuture<Value: Sendable>: AsyncSequence, @unchecked Sendable {
    /// Each element is one input's result.
    public typealias Element = Result<Value, any Error>
    /// The iterator, shared with the other ndb queue.
    public typealias AsyncIterator = ResultChannelIterator<Value>

    // Every stored property below is guarded by `lock`.
    private let lock = InternalLock()
    private var pending = 0
    private var isClosed = false
    private var failure: (any Error)?
    private var inputs = PendingInputs<Value>()
    private let channel = ResultChannel<Value>()

    /// Creates an empty queue.
    ///
    /// ```swift
    /// let queue = QueueFuture<Int>()
    /// ```
    public init() {}

    private var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }

    // MARK: Adding

    /// Adds `input`: its result is queued when it completes.
    ///
    /// ```swift
    /// queue.add(fetch(url))
    /// ```
    public func add(_ input: Deferred<Value>) {
        let index = lock.withLock { () -> Int in
            precondition(!isClosed, "QueueFuture.add(_:) called after complete() or fail(_:)")
            pending += 1
            return inputs.add(input)
        }
        // `input` is captured weakly: a strong capture would keep a dropped, never-completing input alive
        // through its own observer list. While its observers run, it is alive.
        input.addDependent(dependentID) { [self, weak input] _ in
            // Runs once `input` is complete: it is now a ready entry (unless we withdrew from it).
            let deliver = lock.withLock { () -> Bool in
                defer { inputs.settle(index) }
                return inputs.isPending(index)
            }
            if deliver, let input { channel.push(input) }
            // Only after the push may the count drop: the last input's thread ends the channel, and an
            // entry pushed after the end would be dropped.
            let finishNow = lock.withLock { () -> Bool in
                pending -= 1
                return isClosed && failure == nil && pending == 0
            }
            if finishNow { channel.finish() }
        }
    }

    /// Queues a value that is already known.
    ///
    /// ```swift
    /// queue.put(42)
    /// ```
    public func put(_ value: Value) {
        add(.resolved(value))
    }

    // MARK: Finishing

    /// Declares that nothing more will be added: iteration ends once every input has been delivered.
    ///
    /// ```swift
    /// queue.complete()
    /// ```
    public func complete() {
        let finishNow = lock.withLock { () -> Bool in
            precondition(!isClosed, "QueueFuture.complete() called after complete() or fail(_:)")
            isClosed = true
            return pending == 0
        }
        if finishNow { channel.finish() }
    }

    /// Ends the queue with `error`: results already ready are delivered, then iteration throws `error`.
    /// The queue withdraws from the inputs still pending (each one nobody else wants is cancelled).
    ///
    /// ```swift
    /// queue.fail(QueryAborted())
    /// ```
    public func fail(_ error: any Error) {
        let pendingInputs = lock.withLock { () -> [Deferred<Value>] in
            precondition(!isClosed, "QueueFuture.fail(_:) called after complete() or fail(_:)")
            isClosed = true
            failure = error
            return inputs.takeForWithdrawal()
        }
        channel.finish(throwing: error)
        for input in pendingInputs { input.withdrawDependent(dependentID) }
    }

    // MARK: Iterating

    /// An iterator over the results (usually made by `for try await`), in completion order.
    ///
    /// ```swift
    /// var results = queue.makeAsyncIterator()
    /// ```
    public func makeAsyncIterator() -> ResultChannelIterator<Value> {
        ResultChannelIterator(channel)
    }
}
