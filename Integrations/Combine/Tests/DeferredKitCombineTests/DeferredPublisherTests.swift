#if canImport(Combine)
import Combine
#else
import OpenCombine
#endif
import DeferredKitCombine
import Testing

// MARK: - deferred.publisher

@Suite("Deferred.publisher")
struct DeferredPublisherTests {
    @Test("subscribing after completion receives the value and finishes at once")
    func subscriptionAfterCompletion() throws {
        let (events, cancellable) = record(Deferred.resolved(5).publisher)
        #expect(events.current == [.value(5), .finished])
        _ = cancellable
    }

    @Test("subscribing before completion receives the value when the Deferred resolves")
    func subscriptionBeforeCompletion() throws {
        let deferred = Deferred<String>()
        let (events, cancellable) = record(deferred.publisher)
        #expect(events.current == [])
        deferred.resolve("late")
        #expect(events.current == [.value("late"), .finished])
        _ = cancellable
    }

    @Test("an error fails the subscription")
    func errorFails() throws {
        let deferred = Deferred<Int>()
        let (events, cancellable) = record(deferred.publisher)
        deferred.reject(TestError())
        #expect(events.current == [.failed(String(describing: TestError()))])
        _ = cancellable
    }

    @Test("the value waits for demand; a failure does not")
    func valueWaitsForDemand() throws {
        let subscriber = ManualSubscriber<Int>()
        Deferred.resolved(1).publisher.subscribe(subscriber)
        #expect(subscriber.events.current == [])
        try #require(subscriber.subscription).request(.max(1))
        #expect(subscriber.events.current == [.value(1), .finished])

        let failing = ManualSubscriber<Int>()
        Deferred<Int>.rejected(TestError()).publisher.subscribe(failing)
        #expect(failing.events.current == [.failed(String(describing: TestError()))])
    }

    @Test("each subscription is one dependent: cancelling one leaves the others and the Deferred alone")
    func eachSubscriptionIsOneDependent() throws {
        let cancelled = Shared(false)
        let deferred = Deferred<Int>(canceller: { _ in cancelled.update { $0 = true } })
        let first = record(deferred.publisher)
        let second = record(deferred.publisher)
        first.cancellable.cancel()
        #expect(!cancelled.current)
        #expect(!deferred.isComplete)
        deferred.resolve(2)
        #expect(first.events.current == [])
        #expect(second.events.current == [.value(2), .finished])
    }

    @Test("cancelling the last subscription cancels the Deferred (cancellation follows interest)")
    func cancellingTheLastSubscriptionCancels() throws {
        let cancelled = Shared(false)
        let deferred = Deferred<Int>(canceller: { _ in cancelled.update { $0 = true } })
        let only = record(deferred.publisher)
        only.cancellable.cancel()
        #expect(cancelled.current)
        #expect(throws: CancellationError.self) { try deferred.result?.get() }
        #expect(only.events.current == [])  // nothing is sent after cancel
    }

    @Test("a subscription cancelled before any demand never receives the value")
    func cancelledBeforeDemand() throws {
        let subscriber = ManualSubscriber<Int>()
        let deferred = Deferred<Int>()
        deferred.publisher.subscribe(subscriber)
        try #require(subscriber.subscription).cancel()
        deferred.resolve(3)
        try #require(subscriber.subscription).request(.unlimited)
        #expect(subscriber.events.current == [])
    }

    @Test("a subscriber that cancels inside receive(subscription:) never becomes a dependent")
    func cancelledWhileSubscribing() throws {
        let cancelled = Shared(false)
        let deferred = Deferred<Int>(canceller: { _ in cancelled.update { $0 = true } })
        let subscriber = ManualSubscriber<Int>(cancelsOnSubscription: true)
        deferred.publisher.subscribe(subscriber)
        #expect(!cancelled.current)
        deferred.resolve(1)
        #expect(subscriber.events.current == [])
    }

    @Test("a subscriber that cancels while receiving the value gets no completion after it")
    func cancelWhileReceivingTheValue() throws {
        let subscriber = ManualSubscriber<Int>(cancelsOnValue: true)
        let deferred = Deferred<Int>()
        deferred.publisher.subscribe(subscriber)
        try #require(subscriber.subscription).request(.max(1))
        deferred.resolve(6)
        #expect(subscriber.events.current == [.value(6)])
    }

    @Test("zip of two Deferred publishers completes once both are known")
    func zipOfTwo() throws {
        let a = Deferred<Int>(), b = Deferred<Int>()
        let events = Shared<[Received<Int>]>([])
        let cancellable = a.publisher.zip(b.publisher).map { $0 + $1 }
            .sink(
                receiveCompletion: { _ in events.update { $0.append(.finished) } },
                receiveValue: { sum in events.update { $0.append(.value(sum)) } })
        a.resolve(1)
        b.resolve(2)
        #expect(events.current == [.value(3), .finished])
        _ = cancellable
    }

    @Test("a Deferred abandoned by its producer fails its subscribers with DeferredAbandonedError")
    func abandonedDeferredFailsSubscribers() throws {
        var producer: Deferred<Int>? = Deferred<Int>()
        let (events, cancellable) = record(producer!.publisher)
        #expect(events.current.isEmpty)
        producer = nil
        let failures = events.current.compactMap { event -> String? in
            if case .failed(let message) = event { return message }
            return nil
        }
        #expect(failures.count == 1)
        #expect(failures.first?.contains("was abandoned") == true)
        _ = cancellable
    }

    @Test("works with Combine operators and with many subscribers at once")
    func operatorsAndManySubscribers() throws {
        let deferred = Deferred<Int>()
        let doubled = Shared<[Int]>([])
        var cancellables: [AnyCancellable] = []
        for _ in 0 ..< 10 {
            cancellables.append(deferred.publisher.map { $0 * 2 }.replaceError(with: -1)
                .sink { value in doubled.update { $0.append(value) } })
        }
        deferred.resolve(21)
        #expect(doubled.current == Array(repeating: 42, count: 10))
    }
}
