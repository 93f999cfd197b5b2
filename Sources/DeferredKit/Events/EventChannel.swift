// MARK: - EventChannel

/// The event state of one pending Deferred, kept in `EventRegistry` rather than in the Deferred (a
/// Deferred has no field for it: most never emit an event, and memory per Deferred matters).
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

    /// The Deferred, weakly: an address can be reused after it dies, so a lookup checks it is still the owner.
    weak var owner: (any EventOwner)?
    let key: UInt

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

    init(owner: any EventOwner, key: UInt) {
        self.owner = owner
        self.key = key
    }

    /// Whether nobody subscribed yet (the channel only holds forwarders).
    var isUnwatched: Bool { lock.withLock { !watching } }

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
        EventRegistry.shared.remove(self)
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

// MARK: - EventOwner

/// A Deferred seen by the event registry, whatever its `Value`.
protocol EventOwner: AnyObject, Sendable {
    var isComplete: Bool { get }
    /// Calls `body` with the result once the Deferred completes, without expressing interest.
    func watchCompletion(_ body: @escaping @Sendable () -> Void)
}

extension Deferred: EventOwner {
    func watchCompletion(_ body: @escaping @Sendable () -> Void) {
        let closer = ChannelCloser(body)
        // If a pending Deferred dies, its observers are released: the closer then runs from its deinit.
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

// MARK: - EventRegistry

/// The side table from a Deferred's identity to its `EventChannel`.
///
/// A channel with subscribers is removed when its Deferred completes. A channel that only holds
/// forwarders (a combinator's output nobody listens to) gets no completion observer, so that a
/// combinator call pays one table entry and nothing more; such entries are swept lazily whenever the
/// table has doubled.
final class EventRegistry: @unchecked Sendable {
    static let shared = EventRegistry()

    private let lock = InternalLock()
    // Guarded by `lock`.
    private var channels: [UInt: EventChannel] = [:]
    private var sweepAt = 256

    /// The channel of `owner`, if it has one.
    func channel(of owner: any EventOwner) -> EventChannel? {
        let key = UInt(bitPattern: ObjectIdentifier(owner))
        return lock.withLock {
            guard let channel = channels[key], channel.owner === owner else { return nil }
            return channel
        }
    }

    /// The channel of `owner`, created if needed.
    func makeChannel(of owner: any EventOwner) -> EventChannel {
        let key = UInt(bitPattern: ObjectIdentifier(owner))
        let (channel, sweep) = lock.withLock { () -> (EventChannel, [EventChannel]) in
            if let channel = channels[key], channel.owner === owner { return (channel, []) }
            let channel = EventChannel(owner: owner, key: key)
            channels[key] = channel
            guard channels.count >= sweepAt else { return (channel, []) }
            sweepAt = channels.count * 2
            return (channel, Array(channels.values))
        }
        if !sweep.isEmpty {
            // Outside the table lock: asking a Deferred whether it is complete takes its lock.
            for candidate in sweep where candidate !== channel {
                guard let owner = candidate.owner else {
                    remove(candidate)
                    continue
                }
                if candidate.isUnwatched && owner.isComplete { remove(candidate) }
            }
            lock.withLock { sweepAt = Swift.max(256, channels.count * 2) }
        }
        return channel
    }

    func remove(_ channel: EventChannel) {
        let removed = lock.withLock { () -> EventChannel? in
            guard channels[channel.key] === channel else { return nil }
            return channels.removeValue(forKey: channel.key)
        }
        _ = removed
    }

    /// The number of channels (for tests).
    var count: Int { lock.withLock { channels.count } }
}
