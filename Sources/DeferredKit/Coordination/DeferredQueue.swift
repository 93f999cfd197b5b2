// MARK: - DeferredQueue

/// An asynchronous first-in first-out queue: `get()` on an empty queue neither blocks nor fails, it
/// returns a Deferred that completes with the next element put; `put(_:)` on a full queue returns a
/// Deferred that completes when there is room.
///
/// `put` hands an element to the oldest waiting get, or buffers it. A bounded queue (`capacity`) makes
/// producers wait for space: the Deferred `put` returns completes when the element is in the queue,
/// which is backpressure without polling. `offer(_:)` is the form that refuses at once instead
/// (`DeferredQueueOverflowError`). Up to `maxPendingGets` gets may wait (`nil` = no limit); past it `get`
/// throws `DeferredQueueUnderflowError`.
///
/// Cancelling a pending get takes it out of the line, so the next element goes to the next getter or to
/// the buffer. Cancelling a put that waits for space withdraws it: its element is not put, and the put is
/// rejected with `CancellationError`. Every Deferred the queue hands out is its own: `resolve`/`reject`
/// on one return `false` and change nothing.
///
/// ```swift
/// let jobs = DeferredQueue<Job>(capacity: 100)
/// try await jobs.put(job).value                   // waits while 100 jobs are queued
/// jobs.get().whenComplete { print("got", $0) }    // or take(), or iterate:
/// for try await job in jobs { handle(job) }
/// ```
///
/// `finish()` ends the queue: buffered elements are still delivered, then gets fail with
/// `DeferredQueueFinishedError` and iteration ends; waiting and later puts are refused.
///
/// Observers of the Deferreds the queue completes run synchronously on the thread that made the
/// matching call (a `put` completes a waiting get's Deferred before it returns), outside the queue's
/// lock; a call made from inside such an observer is queued by the firing loop, not recursed into.
public final class DeferredQueue<Element: Sendable>: Sendable {
    @usableFromInline let state: LockedState<DeferredQueueStateMachine<Element, Deferred<Element>, Deferred<Void>>>
    /// What a put that is accepted at once returns: resolved once, owned by this queue, so an accepted
    /// put allocates nothing.
    @usableFromInline let accepted: Deferred<Void>

    /// The most elements the queue buffers; `nil` for no limit.
    public let capacity: Int?
    /// The most gets that may wait at once; `nil` for no limit.
    public let maxPendingGets: Int?

    /// Creates an empty queue.
    ///
    /// A negative `capacity` or `maxPendingGets` is a programming error and stops the program with a
    /// precondition failure. `file` and `line` name the queue in diagnostics about the Deferred an
    /// accepted `put` returns.
    ///
    /// - Parameters:
    ///   - capacity: The most elements buffered; a put beyond it waits for space. `0` makes every put
    ///     wait for a get (a rendezvous). `nil`, the default, never makes a put wait.
    ///   - maxPendingGets: The most gets that may wait; `nil`, the default, for no limit.
    ///   - file: The site named in diagnostics about the Deferreds of accepted puts; leave the default.
    ///   - line: The site named in diagnostics about the Deferreds of accepted puts; leave the default.
    ///
    /// ```swift
    /// let mailbox = DeferredQueue<Message>(capacity: 100, maxPendingGets: 10)
    /// ```
    public init(capacity: Int? = nil, maxPendingGets: Int? = nil, file: StaticString = #fileID, line: UInt = #line) {
        precondition((capacity ?? 0) >= 0, "DeferredQueue(capacity:) must not be negative (got \(capacity ?? 0))")
        precondition(
            (maxPendingGets ?? 0) >= 0,
            "DeferredQueue(maxPendingGets:) must not be negative (got \(maxPendingGets ?? 0))")
        self.capacity = capacity
        self.maxPendingGets = maxPendingGets
        state = LockedState(DeferredQueueStateMachine(capacity: capacity, maxPendingGets: maxPendingGets))
        accepted = .owned(completedWith: .success(()), at: DeferredCallSite(file, line))
    }

    // MARK: Putting

    /// Puts `element` in the queue, waiting for space if the buffer is full, and returns a Deferred that
    /// completes when the element is in the queue (already resolved when there was room).
    ///
    /// The element goes to the oldest waiting get, or into the buffer. On a full bounded queue the put
    /// waits in line (first-in first-out) and its element enters when a get makes room; a producer
    /// that awaits the result never runs ahead of its consumers.
    ///
    /// - Failure: rejected with `DeferredQueueFinishedError` when the queue is finished, or is finished
    ///   while this put waits (its element is then not put). Ignoring the result is fine on an unbounded
    ///   queue; a refusal that nobody observes is reported as an unhandled error.
    /// - Cancellation: cancelling a put that waits withdraws it; the element is not put and the Deferred
    ///   is rejected with `CancellationError`. Cancelling one whose element is already in does nothing.
    ///
    /// ```swift
    /// for reading in sensor { try await samples.put(reading).value }
    /// ```
    @inlinable
    @discardableResult
    public func put(_ element: Element, file: StaticString = #fileID, line: UInt = #line) -> Deferred<Void> {
        let outcome = state.withLock { machine -> PutOutcome in
            switch machine.put(element) {
            case .handOff(let element, let getter): return .handOff(element, getter)
            case .buffered: return .accepted
            case .finished: return .finished
            case .full:
                let putter = machine.waitForSpace(element) { ticket in
                    // The put settles its own cancellation: withdrawn with its element, or, when a get
                    // admitted it first, confirmed by that get.
                    Deferred<Void>(owned: DeferredCallSite(file, line), completesAfterCancel: true) { [weak self] putter in
                        guard let self else { putter.completeAsOwner(.failure(CancellationError())); return }
                        self.withdrawPutter(ticket: ticket)
                    }
                }
                return .waiting(putter)
            }
        }
        switch outcome {
        case .accepted:
            return accepted
        case .handOff(let element, let getter):
            deliver(element, to: getter)
            return accepted
        case .waiting(let putter):
            return putter
        case .finished:
            return .owned(completedWith: .failure(DeferredQueueFinishedError()), at: DeferredCallSite(file, line))
        }
    }

    /// Puts `element` in the queue if there is room now, and otherwise refuses it.
    ///
    /// A waiting get receives the element before `offer` returns (or right after the running observers,
    /// when `offer` is called from one).
    ///
    /// - Throws: `DeferredQueueOverflowError` when the buffer already holds `capacity` elements;
    ///   `DeferredQueueFinishedError` after `finish()`.
    ///
    /// ```swift
    /// do { try telemetry.offer(sample) } catch is DeferredQueueOverflowError { dropped += 1 }
    /// ```
    @inlinable
    public func offer(_ element: Element) throws {
        switch state.withLock({ $0.put(element) }) {
        case .buffered: return
        case .handOff(let element, let getter): deliver(element, to: getter)
        case .full: throw DeferredQueueOverflowError(capacity: capacity ?? 0)
        case .finished: throw DeferredQueueFinishedError()
        }
    }

    @usableFromInline
    enum PutOutcome { case accepted, handOff(Element, Deferred<Element>), waiting(Deferred<Void>), finished }

    /// Hands `element` to `getter`; if `getter` was cancelled meanwhile, to the next getter or back to the
    /// front of the buffer.
    @inlinable
    func deliver(_ element: Element, to first: Deferred<Element>) {
        var getter = first
        while !getter.completeAsOwner(.success(element)) {
            guard case .handOff(_, let next) = state.withLock({ $0.returnElement(element) }) else { return }
            getter = next
        }
    }

    /// Takes a cancelled put out of the line with its element, unless a get admitted it first (that get
    /// then confirms it).
    @usableFromInline
    func withdrawPutter(ticket: UInt64) {
        let removed = state.withLock { $0.withdrawPutter(ticket: ticket) }
        removed?.putter.completeAsOwner(.failure(CancellationError()))
        // The element is released here, after the lock.
    }

    // MARK: Getting

    /// A Deferred for the next element: already resolved when one is buffered, otherwise resolved by a
    /// later put. Waiting gets are served in the order they were made. Taking an element makes room for
    /// the oldest put waiting for space.
    ///
    /// - Throws: `DeferredQueueUnderflowError` when `maxPendingGets` gets already wait.
    /// - Failure: rejected with `DeferredQueueFinishedError` when the queue is finished and empty.
    /// - Cancellation: cancelling a pending get removes it from the line and rejects it with
    ///   `CancellationError`; no element is consumed.
    ///
    /// ```swift
    /// try queue.get().whenComplete { print($0) }
    /// ```
    @inlinable
    public func get(
        file: StaticString = #fileID, line: UInt = #line
    ) throws(DeferredQueueUnderflowError) -> Deferred<Element> {
        let action = state.withLock { machine in
            machine.get { ticket in
                Deferred<Element>(owned: DeferredCallSite(file, line)) { [weak self] _ in self?.withdrawGetter(ticket: ticket) }
            }
        }
        switch action {
        case .element(let element, let admitted):
            admitted?.completeAsOwner(.success(()))
            return .owned(completedWith: .success(element), at: DeferredCallSite(file, line))
        case .wait(let getter):
            return getter
        case .finished:
            return .owned(completedWith: .failure(DeferredQueueFinishedError()), at: DeferredCallSite(file, line))
        case .tooManyGets(let limit):
            throw DeferredQueueUnderflowError(maxPendingGets: limit)
        }
    }

    /// The async form of `get()`: the next element, waiting for a put if none is buffered.
    ///
    /// - Throws: `DeferredQueueUnderflowError`, `DeferredQueueFinishedError`, or `CancellationError`
    ///   when the task is cancelled while waiting (the get is then removed from the line).
    ///
    /// ```swift
    /// let job = try await queue.take()
    /// ```
    public nonisolated(nonsending) func take(file: StaticString = #fileID, line: UInt = #line) async throws -> Element {
        try await get(file: file, line: line).value
    }

    @usableFromInline
    func withdrawGetter(ticket: UInt64) {
        let removed = state.withLock { $0.withdrawGetter(ticket: ticket) }
        _ = removed  // released here, after the lock
    }

    // MARK: Finishing

    /// Ends the queue, as `AsyncStream.Continuation.finish()` does a stream: later puts are refused with
    /// `DeferredQueueFinishedError`, and so are puts still waiting for space (their elements are not put);
    /// buffered elements are still delivered; waiting and later gets on an empty queue are rejected with
    /// `DeferredQueueFinishedError`, which ends iteration. Finishing twice does nothing more.
    ///
    /// ```swift
    /// queue.finish()
    /// ```
    public func finish() {
        let (getters, putters) = state.withLock { $0.finish() }
        for getter in getters { getter.completeAsOwner(.failure(DeferredQueueFinishedError())) }
        for waiting in putters { waiting.putter.completeAsOwner(.failure(DeferredQueueFinishedError())) }
    }

    // MARK: Inspecting

    /// How many elements are buffered.
    public var count: Int { state.withLock { $0.buffer.count } }

    /// How many gets are waiting for an element.
    public var waitingGetCount: Int { state.withLock { $0.getters.count } }

    /// How many puts are waiting for space.
    public var waitingPutCount: Int { state.withLock { $0.putters.count } }

    /// Whether `finish()` was called.
    public var isFinished: Bool { state.withLock { $0.isFinished } }
}

// MARK: - AsyncSequence

extension DeferredQueue: AsyncSequence {
    /// Iterates the queue's elements as they are put, ending after `finish()` once the buffer is empty.
    ///
    /// ```swift
    /// for try await job in queue { handle(job) }
    /// ```
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: DeferredQueue<Element>

        /// The next element, or `nil` once the queue is finished and drained.
        ///
        /// - Throws: `DeferredQueueUnderflowError` when too many gets wait; `CancellationError` when the
        ///   task is cancelled while waiting.
        public mutating func next() async throws -> Element? {
            do {
                return try await queue.take()
            } catch is DeferredQueueFinishedError {
                return nil
            }
        }
    }

    /// An iterator over the queue's elements; each `next()` is a `take()`.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: self)
    }
}
