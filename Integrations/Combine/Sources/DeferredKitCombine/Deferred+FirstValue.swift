#if canImport(Combine)
import Combine
#else
import OpenCombine
#endif
import DeferredKit

// MARK: - PublisherFinishedWithoutValueError

/// The error of a `Deferred(firstValueOf:)` whose publisher finished without emitting a value.
///
/// ```swift
/// catch is PublisherFinishedWithoutValueError { showEmptyState() }
/// ```
public struct PublisherFinishedWithoutValueError: Error, CustomStringConvertible {
    /// Where the Deferred was created.
    public let site: String

    public var description: String {
        "PublisherFinishedWithoutValueError: the publisher of the Deferred created at \(site) finished without a value"
    }
}

// MARK: - Publisher as a Deferred

extension DeferredKit.Deferred {
    /// A Deferred for the first value `publisher` emits.
    ///
    /// It subscribes at once and requests exactly one value. The first value resolves the Deferred and
    /// cancels the subscription; a failure rejects it with the publisher's error; finishing without a
    /// value rejects it with `PublisherFinishedWithoutValueError`. A synchronous publisher such as `Just`
    /// gives a Deferred that is already complete on return.
    ///
    /// - Cancellation: cancelling the Deferred cancels the subscription, and the Deferred is rejected
    ///   with `CancellationError`.
    /// - Threading: the Deferred completes, and its observers run, on the thread where the publisher
    ///   delivers.
    ///
    /// ```swift
    /// let token = Deferred(firstValueOf: session.dataTaskPublisher(for: url).map(\.data))
    /// let user = try await token.value
    /// ```
    public convenience init<Upstream: Publisher>(
        firstValueOf publisher: Upstream, file: StaticString = #fileID, line: UInt = #line
    ) where Upstream.Output == Value {
        let subscriber = FirstValueSubscriber<Value, Upstream.Failure>(site: "\(file):\(line)")
        let cancellable: any SubscriptionCanceller = subscriber
        self.init(file: file, line: line, canceller: { _ in cancellable.cancelSubscription() })
        subscriber.deliver(to: self)
        publisher.subscribe(subscriber)
    }
}

// MARK: - FirstValueSubscriber

/// What cancels a subscription, whatever the publisher's types (so that a Sendable canceller does not
/// capture a non-Sendable metatype).
protocol SubscriptionCanceller: AnyObject, Sendable {
    func cancelSubscription()
}

/// Subscribes for one value and completes a Deferred with it (see `Deferred(firstValueOf:)`).
final class FirstValueSubscriber<Input: Sendable, Failure: Error>: Subscriber, SubscriptionCanceller,
    @unchecked Sendable
{
    private enum State {
        /// Created; the Deferred is set before subscribing.
        case unsubscribed(DeferredKit.Deferred<Input>?)
        /// Subscribed, waiting for the one value.
        case subscribed(any Subscription, DeferredKit.Deferred<Input>)
        /// The Deferred was cancelled before the publisher sent a subscription.
        case cancelledEarly
        /// Completed or cancelled: the Deferred is released, nothing more is received.
        case done
    }

    let combineIdentifier = CombineIdentifier()
    private let site: String
    private let lock = SubscriptionLock()
    private var state: State = .unsubscribed(nil)  // guarded by `lock`

    init(site: String) {
        self.site = site
    }

    func deliver(to target: DeferredKit.Deferred<Input>) {
        lock.withLock { state = .unsubscribed(target) }
    }

    // Every transition swaps the state out under the lock; the subscription and the Deferred it held
    // are called, and released, after unlocking.

    func receive(subscription: any Subscription) {
        let (accepted, old) = lock.withLock { () -> (Bool, State) in
            let old = state
            switch old {
            case .unsubscribed(let target?):
                state = .subscribed(subscription, target)
                return (true, old)
            case .cancelledEarly:
                state = .done
                return (false, old)
            case .unsubscribed(nil), .subscribed, .done:
                return (false, old)  // a second subscription, or one after the end
            }
        }
        withExtendedLifetime(old) {
            if accepted {
                subscription.request(.max(1))  // exactly one: the only value this subscriber takes
            } else {
                subscription.cancel()
            }
        }
    }

    func receive(_ input: Input) -> Subscribers.Demand {
        let old = take()
        if case .subscribed(let subscription, let target) = old {
            subscription.cancel()
            target.resolve(input)
        }
        return .none
    }

    func receive(completion: Subscribers.Completion<Failure>) {
        let old = take()
        if case .subscribed(_, let target) = old {
            switch completion {
            case .finished: target.reject(PublisherFinishedWithoutValueError(site: site))
            case .failure(let error): target.reject(error)
            }
        }
    }

    func cancelSubscription() {
        let old = lock.withLock { () -> State in
            let old = state
            switch old {
            case .unsubscribed: state = .cancelledEarly
            case .subscribed: state = .done
            case .cancelledEarly, .done: break
            }
            return old
        }
        if case .subscribed(let subscription, _) = old { subscription.cancel() }
    }

    /// Ends the subscription: returns the state it had.
    private func take() -> State {
        lock.withLock {
            let old = state
            if case .subscribed = old { state = .done }
            return old
        }
    }
}
