// MARK: - EventChannel

/// The event state of one pending Deferred, kept in the Deferred's rare parts (most Deferreds never emit
/// an event, so the common Deferred has no field for it).
///
/// Events are delivered in one order to every subscriber: whoever emits while nobody is delivering
/// becomes the deliverer and runs the queue, so an observer that emits does not recurse, and the
/// close at completion is delivered after every event emitted before it — nothing after it.
final class EventChannel: @unchecked Sendable {
    typealias Subscriber = @Sendable (DeferredEvent) -> Void

    private enum Item {
        case event(DeferredEvent)
        case close
    }

    private let lock = InternalLock()
    // Guarded by `lock`.
    private var subscribers: [(id: UInt64, onEvent: Subscriber, onClose: (@Sendable () -> Void)?)] = []
    private var nextSubscriberID: UInt64 = 0
    private var queue: [Item] = []
    private var delivering = false
    private var closed = false
    /// A passive observer on the owner closes the channel at completion (installed with the first subscriber).
    private var watching = false
    /// Installers of forwarding from a combinator's inputs, run when the first subscriber arrives.
    private var forwarders: [@Sendable () -> Void] = []

    init() {}

    // MARK: Subscribing

    /// Adds a subscriber; returns its id, whether the caller must start watching the owner, and the
    /// forwarders to install — or `nil` if the channel is closed.
    func subscribe(
        _ onEvent: @escaping Subscriber, onClose: (@Sendable () -> Void)?
    ) -> (id: UInt64, mustWatch: Bool, forwarders: [@Sendable () -> Void])? {
        lock.withLock {
            if closed { return nil }
            nextSubscriberID += 1
            subscribers.append((nextSubscriberID, onEvent, onClose))
            let mustWatch = !watching
            watching = true
            let forwarders = mustWatch ? self.forwarders : []
            if mustWatch { self.forwarders = [] }
            return (nextSubscriberID, mustWatch, forwarders)
        }
    }

    func unsubscribe(_ id: UInt64) {
        let removed = lock.withLock { () -> Int in
            let before = subscribers.count
            subscribers.removeAll { $0.id == id }
            return before - subscribers.count
        }
        _ = removed
    }

    /// Registers an installer of forwarding: run now if someone already listens, else with the first subscriber.
    func addForwarder(_ install: @escaping @Sendable () -> Void) {
        let runNow = lock.withLock { () -> Bool in
            if closed { return false }
            if watching { return true }
            forwarders.append(install)
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
        let deliverHere = lock.withLock { () -> Bool? in
            if closed { return nil }
            if case .close = item {
                closed = true
                forwarders = []
            }
            queue.append(item)
            if delivering { return false }
            delivering = true
            return true
        }
        guard let deliverHere else { return false }
        if deliverHere { deliver() }
        return true
    }

    private func deliver() {
        while true {
            let batch = lock.withLock { () -> ([Item], [(id: UInt64, onEvent: Subscriber, onClose: (@Sendable () -> Void)?)])? in
                if queue.isEmpty {
                    delivering = false
                    return nil
                }
                let items = queue
                queue.removeAll()
                return (items, subscribers)
            }
            guard let (items, current) = batch else { return }
            for item in items {
                switch item {
                case .event(let event):
                    for subscriber in current { subscriber.onEvent(event) }
                case .close:
                    let finished = lock.withLock { () -> [(@Sendable () -> Void)?] in
                        let all = subscribers.map(\.onClose)
                        subscribers = []
                        return all
                    }
                    for onClose in finished { onClose?() }
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
final class ChannelCloser: @unchecked Sendable {
    private let lock = InternalLock()
    private var action: (@Sendable () -> Void)?  // guarded by `lock`

    init(_ action: @escaping @Sendable () -> Void) { self.action = action }

    func run() {
        let action = lock.withLock { self.action.take() }
        action?()
    }

    deinit { run() }
}
