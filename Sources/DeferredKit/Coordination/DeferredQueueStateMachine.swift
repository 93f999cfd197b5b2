// MARK: - DeferredQueueStateMachine

/// The rules of `DeferredQueue`, without its effects.
///
/// A pure value: each transition is a mutating method that returns what its caller must do once it has
/// left the lock (complete a getter with an element, confirm a waiting put, reject the waiters of a
/// finished queue). `DeferredQueue` keeps it in a `LockedState` and performs those actions. It is generic
/// over the getter and putter types so that its transitions can be tested with plain values.
///
/// Invariants:
/// - getters wait only while the buffer is empty and no put waits;
/// - puts wait only while the buffer holds `capacity` elements (so never on an unbounded queue) and no
///   getter waits;
/// - once finished, nothing joins the buffer or either line; buffered elements are still handed out.
///
/// Inlinable, with the queue's put and get, so that a client's `DeferredQueue<Element>` runs specialised
/// code: unspecialised, most of a put + get went on generic-metadata lookups.
@usableFromInline
struct DeferredQueueStateMachine<Element, Getter, Putter> {
    /// The most elements the buffer holds; `nil` for no limit.
    @usableFromInline let capacity: Int?
    /// The most gets that may wait; `nil` for no limit.
    @usableFromInline let maxPendingGets: Int?
    // Changed only by the transitions below.
    /// Elements put and not yet taken, oldest first.
    @usableFromInline var buffer = WaiterQueue<Element>()
    /// Gets waiting for an element, oldest first.
    @usableFromInline var getters = WaiterQueue<Getter>()
    /// Puts waiting for space, oldest first, each with the element it will put.
    @usableFromInline var putters = WaiterQueue<(element: Element, putter: Putter)>()
    @usableFromInline var isFinished = false

    @inlinable
    init(capacity: Int?, maxPendingGets: Int?) {
        self.capacity = capacity
        self.maxPendingGets = maxPendingGets
    }

    @inlinable
    var hasSpace: Bool { capacity.map { buffer.count < $0 } ?? true }

    // MARK: Put

    /// What a put asks its caller to do.
    @usableFromInline
    enum PutAction {
        /// Complete this getter with the element (it left the line). If the getter turns out to be
        /// cancelled already, call `returnElement(_:)`: the element was accepted and is not lost.
        case handOff(Element, to: Getter)
        /// Nothing: the element is in the buffer.
        case buffered
        /// The buffer is full. A waiting put calls `waitForSpace(_:makePutter:)` in the same lock hold;
        /// an immediate one reports the overflow.
        case full
        /// The queue is finished: the element is refused.
        case finished
    }

    /// **put.** The element goes to the oldest waiting getter, else into the buffer if there is space.
    @inlinable
    mutating func put(_ element: Element) -> PutAction {
        if isFinished { return .finished }
        if let getter = getters.popFirst() { return .handOff(element, to: getter) }
        guard hasSpace else { return .full }
        buffer.append(element)
        return .buffered
    }

    /// **wait for space.** After `put` answered `.full`: the putter that `makePutter` builds for its
    /// ticket joins the line of waiting puts with `element`, and is returned.
    @inlinable
    mutating func waitForSpace(_ element: Element, makePutter: (_ ticket: UInt64) -> Putter) -> Putter {
        let putter = makePutter(putters.nextTicket)
        putters.append((element, putter))
        return putter
    }

    /// **return an element.** A getter that `put` picked was cancelled before it received the element:
    /// the element goes to the next getter, or back to the front of the buffer (it was accepted, so the
    /// capacity does not apply again).
    @inlinable
    mutating func returnElement(_ element: Element) -> PutAction {
        if let getter = getters.popFirst() { return .handOff(element, to: getter) }
        buffer.prepend(element)
        return .buffered
    }

    // MARK: Get

    /// What a get asks its caller to do.
    @usableFromInline
    enum GetAction {
        /// Answer with this element. When taking it made room, `admitted` is the waiting put whose element
        /// just entered the queue: confirm it.
        case element(Element, admitted: Putter?)
        /// The getter joined the line.
        case wait(Getter)
        /// The queue is finished and empty.
        case finished
        /// `maxPendingGets` gets already wait.
        case tooManyGets(limit: Int)
    }

    /// **get.** The oldest buffered element (the oldest waiting put then moves into the buffer), else the
    /// element of the oldest waiting put (a queue of capacity 0 hands over directly), else the getter
    /// that `makeGetter` builds for its ticket joins the line.
    @inlinable
    mutating func get(makeGetter: (_ ticket: UInt64) -> Getter) -> GetAction {
        if let element = buffer.popFirst() {
            guard let waiting = putters.popFirst() else { return .element(element, admitted: nil) }
            buffer.append(waiting.element)
            return .element(element, admitted: waiting.putter)
        }
        if let waiting = putters.popFirst() { return .element(waiting.element, admitted: waiting.putter) }
        if isFinished { return .finished }
        if let maxPendingGets, getters.count >= maxPendingGets { return .tooManyGets(limit: maxPendingGets) }
        let getter = makeGetter(getters.nextTicket)
        getters.append(getter)
        return .wait(getter)
    }

    // MARK: Withdraw

    /// **withdraw a get.** Takes the getter of `ticket` out of the line, if no put picked it yet.
    @inlinable
    mutating func withdrawGetter(ticket: UInt64) -> Getter? {
        getters.remove(ticket: ticket)
    }

    /// **withdraw a put.** Takes the waiting put of `ticket` out of the line with its element, if no get
    /// admitted it yet: that element is never put.
    @inlinable
    mutating func withdrawPutter(ticket: UInt64) -> (element: Element, putter: Putter)? {
        putters.remove(ticket: ticket)
    }

    // MARK: Finish

    /// **finish.** Later puts are refused; the waiting getters (the buffer is empty, or they would not
    /// wait) and the waiting puts (their elements were never accepted) are returned, to be rejected.
    @inlinable
    mutating func finish() -> (getters: [Getter], putters: [(element: Element, putter: Putter)]) {
        isFinished = true
        return (getters.removeAll(), putters.removeAll())
    }
}

extension DeferredQueueStateMachine: Sendable where Element: Sendable, Getter: Sendable, Putter: Sendable {}
