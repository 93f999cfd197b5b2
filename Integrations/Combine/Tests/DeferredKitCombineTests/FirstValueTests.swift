#if canImport(Combine)
import Combine
#else
import OpenCombine
#endif
import DeferredKitCombine
import Testing

// MARK: - Deferred(firstValueOf:)

@Suite("Deferred(firstValueOf:)")
struct FirstValueTests {
    @Test("a synchronous publisher (Just) gives a Deferred that is complete on return")
    func synchronousPublisher() throws {
        let deferred = Deferred(firstValueOf: Just(5))
        #expect(try deferred.result?.get() == 5)
    }

    @Test("a multi-value publisher: the first value, demand of exactly one, then the subscription is cancelled")
    func multiValuePublisher() throws {
        let demands = Shared<[Subscribers.Demand]>([])
        let cancels = Shared(0)
        let values = Shared<[Int]>([])
        let publisher = [1, 2, 3].publisher
            .handleEvents(
                receiveOutput: { value in values.update { $0.append(value) } },
                receiveCancel: { cancels.update { $0 += 1 } },
                receiveRequest: { demand in demands.update { $0.append(demand) } })
        let deferred = Deferred(firstValueOf: publisher)
        #expect(try deferred.result?.get() == 1)
        #expect(demands.current == [.max(1)])
        #expect(values.current == [1])
        #expect(cancels.current == 1)
    }

    @Test("a subject: pending until the first send, later sends are ignored")
    func subjectFirstSend() throws {
        let subject = PassthroughSubject<String, Never>()
        let deferred = Deferred(firstValueOf: subject)
        #expect(!deferred.isComplete)
        subject.send("first")
        subject.send("second")
        #expect(try deferred.result?.get() == "first")
    }

    @Test("a failure rejects the Deferred with the publisher's error")
    func failure() throws {
        let deferred = Deferred(firstValueOf: Fail<Int, TestError>(error: TestError()))
        #expect(throws: TestError.self) { try deferred.result?.get() }
    }

    @Test("finishing without a value rejects with PublisherFinishedWithoutValueError")
    func finishedWithoutValue() throws {
        let deferred = Deferred(firstValueOf: Empty<Int, Never>())
        #expect(throws: PublisherFinishedWithoutValueError.self) { try deferred.result?.get() }
    }

    @Test("a publisher that never emits, then the Deferred is cancelled: the subscription is cancelled")
    func neverEmitsThenCancelled() throws {
        let cancels = Shared(0)
        let publisher = Empty<Int, Never>(completeImmediately: false)
            .handleEvents(receiveCancel: { cancels.update { $0 += 1 } })
        let deferred = Deferred(firstValueOf: publisher)
        #expect(!deferred.isComplete)
        deferred.cancel()
        #expect(cancels.current == 1)
        #expect(throws: CancellationError.self) { try deferred.result?.get() }
    }

    @Test("cancel before the first value: a value sent afterwards is not delivered")
    func cancelBeforeFirstValue() throws {
        let subject = PassthroughSubject<Int, Never>()
        let deferred = Deferred(firstValueOf: subject)
        deferred.cancel()
        subject.send(1)
        #expect(throws: CancellationError.self) { try deferred.result?.get() }
    }

    @Test("cancelling a dependent that was the Deferred's last cancels the subscription")
    func cancellationFollowsInterest() throws {
        let cancels = Shared(0)
        let subject = PassthroughSubject<Int, Never>()
        let source = Deferred(firstValueOf: subject.handleEvents(receiveCancel: { cancels.update { $0 += 1 } }))
        let doubled = source.map { $0 * 2 }
        doubled.cancel()
        #expect(cancels.current == 1)
    }

    @Test("awaiting it from async code, with the value sent from another task")
    func awaitedFromAsyncCode() async throws {
        let subject = PassthroughSubject<Int, Never>()
        let deferred = Deferred(firstValueOf: subject)
        Task { subject.send(99) }
        #expect(try await deferred.value == 99)
    }

    @Test("a round trip: Deferred -> publisher -> Deferred keeps the value and the error")
    func roundTrip() throws {
        let value = Deferred(firstValueOf: Deferred.resolved(8).publisher)
        #expect(try value.result?.get() == 8)
        let error = Deferred(firstValueOf: Deferred<Int>.rejected(TestError()).publisher)
        #expect(throws: TestError.self) { try error.result?.get() }
    }
}
