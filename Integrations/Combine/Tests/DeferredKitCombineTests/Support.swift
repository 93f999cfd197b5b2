#if canImport(Combine)
import Combine
#else
import OpenCombine
#endif
@testable import DeferredKitCombine

struct TestError: Error, Equatable {}

/// A value shared between a test and the callbacks it installs, behind the adapter's pthread lock.
final class Shared<T>: @unchecked Sendable {
    private let lock = SubscriptionLock()
    private var value: T

    init(_ value: T) { self.value = value }

    var current: T { lock.withLock { value } }

    func update(_ body: (inout T) -> Void) { lock.withLock { body(&value) } }
}

/// What a subscriber received, in order.
enum Received<Value: Equatable & Sendable>: Equatable, Sendable {
    case value(Value)
    case finished
    case failed(String)
}

/// A subscriber that requests nothing by itself: the test asks for demand through `subscription`.
final class ManualSubscriber<Value: Equatable & Sendable>: Subscriber, @unchecked Sendable {
    typealias Input = Value
    typealias Failure = any Error

    let combineIdentifier = CombineIdentifier()
    let events = Shared<[Received<Value>]>([])
    let subscriptionBox = Shared<(any Subscription)?>(nil)
    /// Whether the subscriber cancels its subscription from inside `receive(_:)`, as `zip` may.
    let cancelsOnValue: Bool
    /// Whether the subscriber cancels at once, from inside `receive(subscription:)`.
    let cancelsOnSubscription: Bool

    init(cancelsOnValue: Bool = false, cancelsOnSubscription: Bool = false) {
        self.cancelsOnValue = cancelsOnValue
        self.cancelsOnSubscription = cancelsOnSubscription
    }

    var subscription: (any Subscription)? { subscriptionBox.current }

    func receive(subscription: any Subscription) {
        subscriptionBox.update { $0 = subscription }
        if cancelsOnSubscription { subscription.cancel() }
    }

    func receive(_ input: Value) -> Subscribers.Demand {
        events.update { $0.append(.value(input)) }
        if cancelsOnValue { subscription?.cancel() }
        return .none
    }

    func receive(completion: Subscribers.Completion<any Error>) {
        events.update { events in
            switch completion {
            case .finished: events.append(.finished)
            case .failure(let error): events.append(.failed(String(describing: error)))
            }
        }
    }
}

/// Subscribes with unlimited demand and records what arrives.
func record<Value: Equatable & Sendable>(
    _ publisher: DeferredPublisher<Value>
) -> (events: Shared<[Received<Value>]>, cancellable: AnyCancellable) {
    let events = Shared<[Received<Value>]>([])
    let cancellable = publisher.sink(
        receiveCompletion: { completion in
            events.update { events in
                switch completion {
                case .finished: events.append(.finished)
                case .failure(let error): events.append(.failed(String(describing: error)))
                }
            }
        },
        receiveValue: { value in events.update { $0.append(.value(value)) } })
    return (events, cancellable)
}
