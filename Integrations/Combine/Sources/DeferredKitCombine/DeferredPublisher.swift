#if canImport(Combine)
import Combine
#else
import OpenCombine
#endif
import DeferredKit

// MARK: - Deferred as a Publisher

extension DeferredKit.Deferred {
    /// A publisher that emits this Deferred's value once and finishes, or fails with its error.
    ///
    /// - Each subscription is one dependent of the Deferred, like a `map`: it receives the result
    ///   whatever other subscribers do.
    /// - Cancellation follows interest: cancelling a subscription withdraws it, and the Deferred itself
    ///   is cancelled only when that subscription was its last dependent.
    /// - Threading: the value is sent on the thread that completes the Deferred, or, when the Deferred
    ///   is already complete, in `request(_:)` on the subscriber's thread. A failure is sent as soon as
    ///   it is known, even before any demand, as Combine allows.
    ///
    /// ```swift
    /// fetchUser(id).publisher
    ///     .map(\.name)
    ///     .sink(receiveCompletion: { print($0) }, receiveValue: { label.text = $0 })
    ///     .store(in: &subscriptions)
    /// ```
    public var publisher: DeferredPublisher<Value> { DeferredPublisher(self) }
}

// MARK: - DeferredPublisher

/// The publisher of a `Deferred`: one value then `.finished`, or `.failure` (see `Deferred.publisher`).
public struct DeferredPublisher<Value: Sendable>: Publisher {
    public typealias Output = Value
    public typealias Failure = any Error

    /// The Deferred whose result this publisher sends.
    public let deferred: DeferredKit.Deferred<Value>

    /// Creates the publisher of `deferred`; `deferred.publisher` is the usual spelling.
    public init(_ deferred: DeferredKit.Deferred<Value>) {
        self.deferred = deferred
    }

    public func receive<S: Subscriber>(subscriber: S) where S.Input == Value, S.Failure == any Error {
        let subscription = DeferredSubscription(downstream: subscriber)
        subscriber.receive(subscription: subscription)
        subscription.start(observing: deferred)
    }
}

// MARK: - DeferredSubscription

/// One subscription to a `DeferredPublisher`: a dependent of the Deferred, plus the demand it waits for.
final class DeferredSubscription<Downstream: Subscriber>: Subscription, ResultReceiver, @unchecked Sendable
where Downstream.Input: Sendable, Downstream.Failure == any Error {
    typealias Value = Downstream.Input

    private enum State {
        /// Subscribed; `dependent` is the Deferred's dependent once `start` made it.
        case waiting(Downstream, hasDemand: Bool, dependent: DeferredKit.Deferred<Value>?)
        /// The value arrived before any demand.
        case holding(Downstream, Value)
        /// The value is being sent; `.finished` follows unless the subscriber cancels meanwhile.
        case sending(Downstream)
        /// Finished, failed or cancelled: nothing more is sent.
        case done
    }

    private let lock = SubscriptionLock()
    private var state: State  // guarded by `lock`

    init(downstream: Downstream) {
        state = .waiting(downstream, hasDemand: false, dependent: nil)
    }

    /// Becomes a dependent of `source` (after the subscriber has its subscription, so that a result
    /// that is already there is not sent too early).
    func start(observing source: DeferredKit.Deferred<Value>) {
        // A subscriber that cancelled inside `receive(subscription:)` never becomes a dependent.
        let cancelledAlready = lock.withLock { () -> Bool in
            if case .done = state { return true }
            return false
        }
        if cancelledAlready { return }
        let dependent = source.map { $0 }
        let isCancelled = lock.withLock { () -> Bool in
            guard case .waiting(let downstream, let hasDemand, nil) = state else { return true }
            state = .waiting(downstream, hasDemand: hasDemand, dependent: dependent)
            return false
        }
        if isCancelled {
            dependent.cancel()  // cancelled from another thread meanwhile: withdraw again
            return
        }
        // Seen through a protocol, so that the Sendable observer does not capture the subscriber's
        // (non-Sendable) metatype.
        let receiver: any ResultReceiver<Value> = self
        dependent.whenComplete { result in receiver.receive(result) }
    }

    // Every transition below swaps the state out under the lock and returns the old one, so that what it
    // held (the subscriber, the dependent) is used, and released, only after unlocking.

    func receive(_ result: Result<Value, any Error>) {
        let (old, sendsValue) = lock.withLock { () -> (State, Bool) in
            let old = state
            guard case .waiting(let downstream, let hasDemand, _) = old else { return (old, false) }
            switch result {
            case .success(let value) where !hasDemand:
                state = .holding(downstream, value)
                return (old, false)
            case .success:
                state = .sending(downstream)
                return (old, true)
            case .failure:
                state = .done
                return (old, false)
            }
        }
        guard case .waiting(let downstream, _, _) = old else { return }
        switch result {
        case .success(let value):
            if sendsValue { send(value, to: downstream) }
        case .failure(let error):
            downstream.receive(completion: .failure(error))
        }
    }

    /// Sends the value, then `.finished` — unless the subscriber cancelled while receiving the value
    /// (operators such as `zip` do, and may free themselves then).
    private func send(_ value: Value, to downstream: Downstream) {
        _ = downstream.receive(value)
        let finishes = lock.withLock { () -> Bool in
            guard case .sending = state else { return false }
            state = .done
            return true
        }
        if finishes { downstream.receive(completion: .finished) }
    }

    func request(_ demand: Subscribers.Demand) {
        precondition(demand > 0, "DeferredPublisher: a subscriber requested a demand of \(demand); it must be positive")
        let old = lock.withLock { () -> State in
            let old = state
            switch old {
            case .waiting(let downstream, _, let dependent):
                state = .waiting(downstream, hasDemand: true, dependent: dependent)
            case .holding(let downstream, _):
                state = .sending(downstream)
            case .sending, .done:
                break
            }
            return old
        }
        if case .holding(let downstream, let value) = old { send(value, to: downstream) }
    }

    func cancel() {
        // Also releases the subscriber, as Combine expects of a cancelled subscription.
        let old = lock.withLock { () -> State in
            defer { state = .done }
            return state
        }
        if case .waiting(_, _, let dependent?) = old { dependent.cancel() }
    }
}

// MARK: - ResultReceiver

/// What receives a Deferred's result, whatever the subscriber's type.
protocol ResultReceiver<Value>: AnyObject, Sendable {
    associatedtype Value: Sendable
    func receive(_ result: Result<Value, any Error>)
}
