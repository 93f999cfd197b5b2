import Testing
@testable import DeferredKit

@Suite("Observers")
struct ObserverTests {
    @Test func observersRunOnCompletionInRegistrationOrder() {
        let d = Deferred<Int>()
        let log = Recorder<String>()
        d.whenComplete { _ in log.append("first") }
        _ = d.map { _ in log.append("derived") }
        d.whenComplete { _ in log.append("third") }
        #expect(log.all.isEmpty)
        d.resolve(1)
        #expect(log.all == ["first", "derived", "third"])  // all ran before resolve returned
    }

    @Test func observerAddedAfterCompletionRunsAtOnceInTheCaller() {
        let d = Deferred.resolved(4)
        let log = Recorder<Int>()
        d.whenComplete { log.append($0.successValue ?? -1) }
        #expect(log.all == [4])
    }

    @Test func observersRunOnTheCompletingThread() async {
        let d = Deferred<Int>()
        let ranOnCompleter = Locked<Bool?>(nil)
        let marker = Locked<Int>(0)
        d.whenComplete { _ in ranOnCompleter.withLock { $0 = marker.withLock { $0 } == 1 } }
        await Task.detached {
            marker.withLock { $0 = 1 }
            d.resolve(1)
            marker.withLock { $0 = 2 }
        }.value
        #expect(ranOnCompleter.withLock { $0 } == true)
    }

    @Test func observerAddedWhileObserversRunRunsAfterThemNeverNested() {
        let d = Deferred<Int>()
        let log = Recorder<String>()
        d.whenComplete { _ in
            log.append("a-start")
            d.whenComplete { _ in log.append("late") }
            log.append("a-end")
        }
        d.whenComplete { _ in log.append("b") }
        d.resolve(1)
        #expect(log.all == ["a-start", "a-end", "b", "late"])
    }

    @Test func completionInsideAnObserverRunsItsObserversAfterTheCurrentOne() {
        let a = Deferred<Int>()
        let b = Deferred<Int>()
        let log = Recorder<String>()
        b.whenComplete { _ in log.append("b observer") }
        a.whenComplete { _ in
            log.append("a observer start")
            b.resolve(2)
            #expect(b.result?.successValue == 2)   // the result exists at once
            log.append("a observer end")
        }
        a.resolve(1)
        #expect(log.all == ["a observer start", "a observer end", "b observer"])
    }

    @Test func thousandsOfCompletionsQueuedByObserversRunInOrderAsTheQueueIsCompacted() {
        // Completions made inside an observer are queued; the loop drops its fired front every 1,024
        // firings. Here many firings wait at each compaction (each one queues two more), so entries move.
        let root = Deferred<Int>()
        let count = 5_000
        let deferreds = (0 ..< count).map { _ in Deferred<Int>() }
        let log = Recorder<Int>()
        for (index, d) in deferreds.enumerated() {
            d.whenComplete { result in
                log.append(result.successValue ?? -1)
                // Each completion queues the next two, so the queue keeps growing while it drains.
                for next in [2 * index + 1, 2 * index + 2] where next < count { deferreds[next].resolve(next) }
            }
        }
        root.whenComplete { _ in deferreds[0].resolve(0) }
        root.resolve(0)
        #expect(log.all == Array(0 ..< count))
    }

    @Test func everyObserverAndDerivedDeferredSeesTheSameResult() {
        let d = Deferred<Int>()
        let seen = Recorder<Int>()
        for _ in 0..<5 { d.whenComplete { seen.append($0.successValue!) } }
        let derived = (0..<5).map { _ in d.map { $0 } }
        d.resolve(9)
        #expect(seen.all == [9, 9, 9, 9, 9])
        #expect(derived.allSatisfy { $0.result?.successValue == 9 })
        #expect(d.result?.successValue == 9)
    }

    @Test func observersRunOutsideTheLock() {
        let d = Deferred<Int>()
        let other = Deferred<Int>()
        d.whenComplete { _ in
            // Each of these takes the Deferred's lock; a lock held while observers run would deadlock.
            _ = d.result
            _ = d.isComplete
            _ = d.resolve(3)
            d.cancel()
            d.whenComplete { _ in other.resolve(1) }
        }
        d.resolve(1)
        #expect(other.result?.successValue == 1)
    }
}
