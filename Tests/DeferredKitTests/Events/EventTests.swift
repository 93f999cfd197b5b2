import Dispatch
import Testing
@testable import DeferredKit

/// A thread-safe list for event tests.
final class EventLog: Sendable {
    private let storage = TimeLocked<[String]>([])
    func append(_ entry: String) { storage.withLock { $0.append(entry) } }
    var all: [String] { storage.withLock { $0 } }
}

@Suite struct EventTests {
    @Test func emittedEventsReachOnEventObserversInOrder() {
        let download = Deferred<Int>()
        let first = EventLog()
        let second = EventLog()
        download.onEvent { first.append("\($0)") }
        download.onEvent { second.append("\($0)") }
        download.emit(.progress(completed: 1, total: 4))
        download.emit(.named("redirected", payload: "https://b"))
        download.emitProgress(completed: 4, total: nil)
        let expected = ["progress(1/4)", "redirected(https://b)", "progress(4/?)"]
        #expect(first.all == expected)
        #expect(second.all == expected)
    }

    @Test func onProgressReceivesTheNumbers() {
        let upload = Deferred<Void>()
        let log = EventLog()
        upload.onProgress { done, total in log.append("\(done)/\(total ?? -1)") }
        upload.emit(.named("ignored", payload: ()))
        upload.emitProgress(completed: 3, total: 10)
        #expect(log.all == ["3/10"])
        #expect(DeferredEvent.progress(completed: 3, total: 10).fractionCompleted == 0.3)
    }

    @Test func eventsStopAtCompletion() {
        let job = Deferred<Int>()
        let log = EventLog()
        job.onEvent { log.append("\($0)") }
        job.emitProgress(completed: 1, total: 2)
        job.resolve(5)
        job.emitProgress(completed: 2, total: 2)
        #expect(log.all == ["progress(1/2)"])
    }

    @Test func eventsSequenceFinishesAtCompletion() async {
        let job = Deferred<Int>()
        let stream = job.events()
        job.emitProgress(completed: 1, total: 3)
        job.emitProgress(completed: 2, total: 3)
        job.resolve(1)
        var seen: [String] = []
        for await event in stream { seen.append("\(event)") }
        #expect(seen == ["progress(1/3)", "progress(2/3)"])
    }

    @Test func eventsOfACompletedDeferredFinishAtOnce() async {
        var count = 0
        for await _ in Deferred.resolved(1).events() { count += 1 }
        #expect(count == 0)
    }

    @Test func observingEventsNeverAffectsTheResultOrCancellation() throws {
        let source = Deferred<Int>()
        source.onEvent { _ in }
        let derived = source.map { $0 + 1 }
        derived.cancel()   // the event observer is no dependent: the source is cancelled
        #expect(source.result?.failureValue is CancellationError)

        let other = Deferred<Int>()
        other.onEvent { event in
            if case .progress(1, _) = event { other.emitProgress(completed: 2, total: 2) }
        }
        other.emitProgress(completed: 1, total: 1)
        other.resolve(2)
        #expect(try other.result?.get() == 2)
    }

    @Test func emitWithoutObserversIsDroppedAndCreatesNoEntry() {
        let quiet = Deferred<Int>()
        quiet.emitProgress(completed: 1, total: 2)
        #expect(quiet.eventChannel() == nil)
        let log = EventLog()
        quiet.onEvent { log.append("\($0)") }
        #expect(log.all.isEmpty)   // nothing replayed
    }

    @Test func observerThatEmitsDoesNotRecurse() {
        let chatty = Deferred<Int>()
        let log = EventLog()
        chatty.onEvent { event in
            log.append("\(event)")
            if case .progress(let n, _) = event, n < 10_000 { chatty.emitProgress(completed: n + 1, total: nil) }
        }
        chatty.emitProgress(completed: 0, total: nil)
        #expect(log.all.count == 10_001)
    }

    @Test func droppingAPendingDeferredFinishesItsEventSequence() async {
        var stream: AsyncStream<DeferredEvent>?
        do {
            let doomed = Deferred<Int>()
            stream = doomed.events()
            doomed.emitProgress(completed: 1, total: nil)
        }
        var count = 0
        for await _ in stream! { count += 1 }
        #expect(count == 1)
    }

    @Test func forwardedEventsCarryTheInputIndex() {
        let inputs = [Deferred<Int>(), Deferred<Int>(), Deferred<Int>()]
        let output = Deferred<[Int]>()
        output.forwardEvents(from: inputs)
        let log = EventLog()
        output.onEvent { log.append("\($0)") }
        inputs[2].emitProgress(completed: 5, total: 10)
        inputs[0].emit(.named("hello", payload: 1))
        #expect(log.all == ["input[2].progress(5/10)", "input[0].hello(1)"])
        let (path, inner) = DeferredEvent.input(index: 1, event: .input(index: 2, event: .progress(completed: 1, total: 1))).unwrapped
        #expect(path == [1, 2])
        #expect(inner.fractionCompleted == 1)
    }

    @Test func forwardingObservesInputsOnlyOnceSomeoneListens() {
        let input = Deferred<Int>()
        let output = Deferred<Int>()
        forwardEvents(from: [input], to: output)
        #expect(input.eventChannel() == nil)
        output.onEvent { _ in }
        #expect(input.eventChannel() != nil)
    }

    @Test func forwardingStopsWhenTheOutputCompletes() {
        let input = Deferred<Int>()
        let output = Deferred<Int>()
        forwardEvents(from: [input], to: output)
        let log = EventLog()
        output.onEvent { log.append("\($0)") }
        output.resolve(1)
        input.emitProgress(completed: 1, total: 1)
        #expect(log.all.isEmpty)
    }
}

@Suite struct EventStressTests {
    /// Emitters on several threads race with completion: every event is delivered at most once, none
    /// after the close, and the sequence finishes.
    @Test func concurrentEmittersNeverDeliverAfterCompletion() {
        for _ in 0..<200 {
            let job = Deferred<Int>()
            let state = TimeLocked<(events: Int, closed: Bool, lateEvents: Int)>((0, false, 0))
            job.onEvent { _ in state.withLock { if $0.closed { $0.lateEvents += 1 } else { $0.events += 1 } } }
            job.whenComplete { _ in }
            let channel = job.eventChannel()
            _ = channel?.subscribe({ _ in }, onClose: { state.withLock { $0.closed = true } })
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for i in 0..<50 {
                    if worker == 3 && i == 25 { job.resolve(1) }
                    job.emitProgress(completed: i, total: 50)
                }
            }
            let final = state.withLock { $0 }
            #expect(final.closed)
            #expect(final.lateEvents == 0)
            #expect(final.events <= 200)
        }
    }
}
