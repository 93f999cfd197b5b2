// MARK: - EventChannel

/// The event state of one pending Deferred, kept in the Deferred's rare parts (most Deferreds never emit
/// an event, so the common Deferred has no field for it).
///
/// Events are delivered in one order to every subscriber: whoever emits while nobody is delivering
/// becomes the deliverer and runs the queue, so an observer that emits does not recurse, and the
/// close at completion is delivered after every event emitted before it — nothing after it.
final class EventChannel: Sendable {
    typealias Subscriber = @Sendable (DeferredEvent) -> Void
    typealias Subscription = (id: UInt64, onEvent: Subscriber, onClose: (@Sendable () -> Void)?)

    enum Item: Sendable {
        case event(DeferredEvent)
        case close
    }

    struct State: Sendable {
        var subscribers: [Subscription] = []
        var nextSubscriberID: UInt64 = 0
        var queue: [Item] = []
        var delivering = false
        var closed = false
        /// A passive observer on the owner closes the channel at completion (installed with the first subscriber).
        var watching = false
        /// Installers of forwarding from a combinator's inputs, run when the first subscriber arrives.
        var forwarders: [@Sendable () -> Void] = []
    }

    // Closures leave the state inside the lock and are released after it: their captures are user code.
    private let state = LockedState(State())

    init() {}

    // MARK: Subscribing

    /// Adds a subscriber; returns its id, whether the caller must start watching the owner, and the
    /// forwarders to install — or `nil` if the channel is closed.
    func subscribe(
        _ onEvent: @escaping Subscriber, onClose: (@Sendable () -> Void)?
    ) -> (id: UInt64, mustWatch: Bool, forwarders: [@Sendable () -> Void])? {
        state.withLock { state in
            if state.closed { return nil }
            state.nextSubscriberID += 1
            state.subscribers.append((state.nextSubscriberID, onEvent, onClose))
            let mustWatch = !state.watching
            state.watching = true
            var forwarders: [@Sendable () -> Void] = []
            if mustWatch { swap(&forwarders, &state.forwarders) }
            return (state.nextSubscriberID, mustWatch, forwarders)
        }
    }

    func unsubscribe(_ id: UInt64) {
        let removed = state.withLock { state -> Subscription? in
            guard let index = state.subscribers.firstIndex(where: { $0.id == id }) else { return nil }
            return state.subscribers.remove(at: index)
        }
        _ = removed  // released here, after the lock
    }

    /// Registers an installer of forwarding: run now if someone already listens, else with the first subscriber.
    func addForwarder(_ install: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.closed { return false }
            if state.watching { return true }
            state.forwarders.append(install)
            return false
        }
        if runNow { install() }
    }

    // MARK: Delivering

    /// Queues `event`; returns `false` when the channel is closed.
    @discardableResult
    func emit(_ event: DeferredEvent) -> Bool {
        enqueue(.event(event))
    }

    /// Closes the channel: subscribers' `onClose` runs after every event emitted before; later events are dropped.
    func close() {
        _ = enqueue(.close)
    }

    private func enqueue(_ item: Item) -> Bool {
        var dropped: [@Sendable () -> Void] = []
        let deliverHere = state.withLock { state -> Bool? in
            if state.closed { return nil }
            if case .close = item {
                state.closed = true
                swap(&dropped, &state.forwarders)
            }
            state.queue.append(item)
            if state.delivering { return false }
            state.delivering = true
            return true
        }
        dropped = []  // released after the lock
        guard let deliverHere else { return false }
        if deliverHere { deliver() }
        return true
    }

    private func deliver() {
        while true {
            let batch = state.withLock { state -> ([Item], [Subscription])? in
                if state.queue.isEmpty {
                    state.delivering = false
                    return nil
                }
                var items: [Item] = []
                swap(&items, &state.queue)
                return (items, state.subscribers)
            }
            guard let (items, current) = batch else { return }
            for item in items {
                switch item {
                case .event(let event):
                    for subscriber in current { subscriber.onEvent(event) }
                case .close:
                    let finished = state.withLock { state -> [Subscription] in
                        var all: [Subscription] = []
                        swap(&all, &state.subscribers)
                        return all
                    }
                    for subscription in finished { subscription.onClose?() }
                }
            }
        }
    }
}

// MARK: - Watching completion

extension Deferred {
    /// Calls `body` once the Deferred completes (or is abandoned), without expressing interest.
    func watchCompletion(_ body: @escaping @Sendable () -> Void) {
        let closer = ChannelCloser(body)
        addPassiveObserver { _ in closer.run() }
    }
}

/// Runs its action once: when called, or when released without having been called.
final class ChannelCloser: Sendable {
    private let action: LockedState<(@Sendable () -> Void)?>

    init(_ action: @escaping @Sendable () -> Void) { self.action = LockedState(action) }

    func run() {
        let action = self.action.withLock { $0.take() }
        action?()
    }

    deinit { run() }
}
