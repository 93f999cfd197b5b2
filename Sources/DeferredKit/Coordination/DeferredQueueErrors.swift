// MARK: - DeferredQueueOverflowError

/// Thrown by `DeferredQueue.offer(_:)` when the buffer already holds `capacity` elements.
///
/// A producer that would rather wait for space uses `put(_:)`, which never fails for a full queue.
///
/// ```swift
/// do { try queue.offer(sample) } catch let error as DeferredQueueOverflowError { dropped += 1 }
/// ```
public struct DeferredQueueOverflowError: Error, Equatable, CustomStringConvertible {
    /// The capacity of the queue that refused the element.
    public var capacity: Int

    /// Creates the error for a queue of `capacity` elements.
    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// What went wrong, in one line.
    public var description: String { "DeferredQueue: buffer full (capacity \(capacity))" }
}

// MARK: - DeferredQueueUnderflowError

/// Thrown by `DeferredQueue.get()` (and `take()`) when `maxPendingGets` gets already wait.
///
/// ```swift
/// catch let error as DeferredQueueUnderflowError { print("more than", error.maxPendingGets, "waiting") }
/// ```
public struct DeferredQueueUnderflowError: Error, Equatable, CustomStringConvertible {
    /// The limit of waiting gets of the queue that refused the get.
    public var maxPendingGets: Int

    /// Creates the error for a queue that lets `maxPendingGets` gets wait.
    public init(maxPendingGets: Int) {
        self.maxPendingGets = maxPendingGets
    }

    /// What went wrong, in one line.
    public var description: String { "DeferredQueue: too many waiting gets (limit \(maxPendingGets))" }
}

// MARK: - DeferredQueueFinishedError

/// The error of a put refused by a finished `DeferredQueue`, of a put still waiting for space when the
/// queue was finished, and of a get on a finished queue once its buffer is empty (which ends iteration).
///
/// ```swift
/// catch is DeferredQueueFinishedError { print("no more jobs") }
/// ```
public struct DeferredQueueFinishedError: Error, Equatable, CustomStringConvertible {
    /// Creates the error.
    public init() {}

    /// What went wrong, in one line.
    public var description: String { "DeferredQueue: finished" }
}
