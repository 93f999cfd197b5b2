// MARK: - DeferredQueue

/// An asynchronous first-in first-out queue: `get()` on an empty queue neither blocks nor fails — it
/// returns a Deferred that completes with the next element put.
///
/// `put` hands an element to the oldest waiting `get`, or buffers it. Up to `size` elements may be
/// buffered and up to `backlog` gets may wait (`nil` = unbounded); past those limits `put` throws
/// `QueueOverflow` and `get` throws `QueueUnderflow`, synchronously. Cancelling a pending `get` takes it
/// out of the line, so the next `put` goes to the next waiter or the buffer.
///
/// ```swift
/// let jobs = DeferredQueue<Job>()
/// jobs.get().whenComplete { print("got", $0) }   // waits
/// try jobs.put(job)                               // prints "got success(job)"
/// for try await job in jobs { handle(job) }       // the queue is also an AsyncSequence
/// ```
///
/// `finish()` ends the queue: buffered elements are still delivered, then gets fail with `QueueFinished`
/// and iteration ends.
public final class DeferredQueue<Element: Sendable>: @unchecked Sendable {
    // `buffer`, `waiters` and `isFinished` are guarded by `lock`.
    @usableFromInline let lock = InternalLock()
    @usableFromInline var buffer = WaiterQueue<Element>()
    @usableFromInline var waiters = WaiterQueue<Deferred<Element>>()
    @usableFromInline var isFinished = false

    /// The most elements that may be buffered; `nil` for no limit.
    ///
    /// ```swift
    /// DeferredQueue<Int>(size: 10).size   // 10
    /// ```
    public let size: Int?
    /// The most gets that may wait; `nil` for no limit.
    ///
    /// ```swift
    /// DeferredQueue<Int>(backlog: 2).backlog   // 2
    /// ```
    public let backlog: Int?

    /// Creates an empty queue.
    ///
    /// ```swift
    /// let mailbox = DeferredQueue<Message>(size: 100, backlog: 10)
    /// ```
    public init(size: Int? = nil, backlog: Int? = nil) {
        self.size = size
        self.backlog = backlog
    }

    // MARK: Putting

    /// Gives `element` to the oldest waiting `get`, or buffers it.
    ///
    /// The waiting get's Deferred completes before `put` returns (or right after the running observers,
    /// when `put` is called from one).
    ///
    /// - Throws: `QueueOverflow` when `size` elements are already buffered; `QueueFinished` after `finish()`.
    ///
    /// ```swift
    /// try queue.put(request)
    /// ```
    public func put(_ element: Element) throws {
        var failure: (any Error)?
        let waiter = lock.withLock { () -> Deferred<Element>? in
            if isFinished {
                failure = QueueFinished()
                return nil
            }
            if let waiter = waiters.popFirst() { return waiter }
            if let size, buffer.count >= size {
                failure = QueueOverflow(size: size)
                return nil
            }
            buffer.append(element)
            return nil
        }
        if let failure { throw failure }
        if let waiter { deliver(element, to: waiter) }
    }

    /// Hands `element` to `waiter`; if `waiter` was cancelled meanwhile, to the next waiter or back to the
    /// front of the buffer (the element was accepted, so the size limit does not apply again).
    @usableFromInline
    func deliver(_ element: Element, to first: Deferred<Element>) {
        var waiter = first
        while !waiter.completeAsOwner(.success(element)) {
            let next = lock.withLock { () -> Deferred<Element>? in
                if let next = waiters.popFirst() { return next }
                buffer.prepend(element)
                return nil
            }
            guard let next else { return }
            waiter = next
        }
    }

    // MARK: Getting

    /// A Deferred for the next element: already resolved when one is buffered, otherwise resolved by a
    /// later `put`. Waiting gets are served in the order they were made.
    ///
    /// Cancelling a pending get removes it from the line and rejects it with `CancellationError`.
    ///
    /// - Throws: `QueueUnderflow` when `backlog` gets are already waiting.
    ///
    /// ```swift
    /// let next = try queue.get()
    /// next.whenComplete { print($0) }
    /// ```
    public func get(file: StaticString = #fileID, line: UInt = #line) throws(QueueUnderflow) -> Deferred<Element> {
        let outcome = lock.withLock { () -> GetOutcome in
            if let element = buffer.popFirst() { return .element(element) }
            if isFinished { return .finished }
            if let backlog, waiters.count >= backlog { return .underflow(backlog) }
            let ticket = waiters.nextTicket
            let waiter = Deferred<Element>(owned: CallSite(file, line)) { [weak self] _ in self?.withdraw(ticket) }
            waiters.append(waiter)
            return .waiting(waiter)
        }
        switch outcome {
        case .element(let element): return .owned(completedWith: .success(element), at: CallSite(file, line))
        case .waiting(let waiter): return waiter
        case .finished: return .owned(completedWith: .failure(QueueFinished()), at: CallSite(file, line))
        case .underflow(let backlog): throw QueueUnderflow(backlog: backlog)
        }
    }

    /// The async form of `get()`: the next element, waiting for a `put` if none is buffered.
    ///
    /// - Throws: `QueueUnderflow`, `QueueFinished`, or `CancellationError` when the task is cancelled
    ///   while waiting (the get is then removed from the line).
    ///
    /// ```swift
    /// let job = try await queue.take()
    /// ```
    public nonisolated(nonsending) func take(file: StaticString = #fileID, line: UInt = #line) async throws -> Element {
        try await get(file: file, line: line).value
    }

    @usableFromInline
    enum GetOutcome { case element(Element), waiting(Deferred<Element>), finished, underflow(Int) }

    @usableFromInline
    func withdraw(_ ticket: UInt64) {
        let removed = lock.withLock { waiters.remove(ticket: ticket) }
        _ = removed
    }

    // MARK: Finishing

    /// Ends the queue: further puts throw `QueueFinished`; buffered elements are still delivered; waiting
    /// and later gets on an empty queue are rejected with `QueueFinished`, which ends iteration.
    ///
    /// ```swift
    /// queue.finish()
    /// ```
    public func finish() {
        let waiting = lock.withLock { () -> [Deferred<Element>] in
            isFinished = true
            return waiters.removeAll()
        }
        for waiter in waiting { waiter.completeAsOwner(.failure(QueueFinished())) }
    }

    // MARK: Inspecting

    /// How many elements are buffered.
    ///
    /// ```swift
    /// print(queue.count)
    /// ```
    public var count: Int { lock.withLock { buffer.count } }

    /// How many gets are waiting.
    ///
    /// ```swift
    /// print(queue.waitingCount)
    /// ```
    public var waitingCount: Int { lock.withLock { waiters.count } }
}

// MARK: - AsyncSequence

extension DeferredQueue: AsyncSequence {
    /// Iterates the queue's elements as they are put, ending after `finish()` once the buffer is empty.
    ///
    /// ```swift
    /// for try await job in queue { handle(job) }
    /// ```
    public struct AsyncIterator: AsyncIteratorProtocol {
        @usableFromInline let queue: DeferredQueue<Element>

        /// The next element, or `nil` once the queue is finished and drained.
        ///
        /// ```swift
        /// var iterator = queue.makeAsyncIterator()
        /// let first = try await iterator.next()
        /// ```
        public mutating func next() async throws -> Element? {
            do {
                return try await queue.take()
            } catch is QueueFinished {
                return nil
            }
        }
    }

    /// An iterator over the queue's elements.
    ///
    /// ```swift
    /// var iterator = queue.makeAsyncIterator()
    /// ```
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: self)
    }
}

// MARK: - Errors

/// Thrown by `DeferredQueue.put` when `size` elements are already buffered.
///
/// ```swift
/// do { try queue.put(x) } catch let error as QueueOverflow { print(error.size) }
/// ```
public struct QueueOverflow: Error, CustomStringConvertible, Equatable {
    /// The queue's `size`.
    ///
    /// ```swift
    /// catch let error as QueueOverflow { print("limit", error.size) }
    /// ```
    public let size: Int
    public var description: String { "DeferredQueue: buffer full (size \(size))" }
}

/// Thrown by `DeferredQueue.get` when `backlog` gets are already waiting.
///
/// ```swift
/// do { _ = try queue.get() } catch { print(error.backlog) }
/// ```
public struct QueueUnderflow: Error, CustomStringConvertible, Equatable {
    /// The queue's `backlog`.
    ///
    /// ```swift
    /// catch let error as QueueUnderflow { print("limit", error.backlog) }
    /// ```
    public let backlog: Int
    public var description: String { "DeferredQueue: too many waiting gets (backlog \(backlog))" }
}

/// The error of a put or an empty get on a `DeferredQueue` after `finish()`.
///
/// ```swift
/// catch is QueueFinished { print("no more jobs") }
/// ```
public struct QueueFinished: Error, CustomStringConvertible, Equatable {
    /// Creates the error (for comparisons in tests: `#expect(throws: QueueFinished())`).
    ///
    /// ```swift
    /// let error = QueueFinished()
    /// ```
    public init() {}
    public var description: String { "DeferredQueue: finished" }
}
