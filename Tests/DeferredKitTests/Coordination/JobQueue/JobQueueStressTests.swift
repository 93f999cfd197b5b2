import Dispatch
import Testing
@testable import DeferredKit

@Suite struct JobQueueStressTests {
    /// Puts, cancels and width changes race on several threads while other threads finish the work;
    /// every job's Deferred must complete exactly once. (~10k jobs in debug; raise `rounds` for release.)
    @Test func racingPutsCancelsAndWidthChangesEndEveryJobExactlyOnce() throws {
        let threads = 4
        let jobsPerThread = 2_500
        let outstanding = TimeLocked<[Deferred<Int>]>([])
        let queue = DeferredJobQueue<Int, Int>(width: 4) { n in
            if n % 3 == 0 { return .resolved(n) }
            let work = Deferred<Int>()
            outstanding.withLock { $0.append(work) }
            return work
        }
        let ends = TimeLocked<[Int: Int]>([:])
        let jobs = TimeLocked<[Deferred<DeferredJobQueue<Int, Int>.Job>]>([])
        DispatchQueue.concurrentPerform(iterations: threads * 2) { worker in
            if worker < threads {
                for i in 0..<jobsPerThread {
                    let n = worker * jobsPerThread + i
                    let job = queue.put(n, priority: n % 7)
                    job.addPassiveObserver { _ in ends.withLock { $0[n, default: 0] += 1 } }
                    jobs.withLock { $0.append(job) }
                    if n % 5 == 0 { job.cancel() }
                    if n % 97 == 0, let first = queue.pending().first { queue.cancel(first) }
                    if n % 89 == 0, let running = queue.underway().last { queue.cancel(running) }
                    if n % 17 == 0 { queue.width = 1 + n % 6 }
                }
            } else {
                // Finishers: resolve outstanding work while the producers run.
                for _ in 0..<jobsPerThread {
                    let batch = outstanding.withLock { list -> [Deferred<Int>] in
                        defer { list.removeAll() }
                        return list
                    }
                    for (index, work) in batch.enumerated() {
                        if index % 4 == 0 { work.reject(Flake(number: index)) } else { work.resolve(index) }
                    }
                }
            }
        }
        // Drain: finish everything still running until the queue has nothing underway or pending.
        queue.width = 64
        while !(queue.pending().isEmpty && queue.underway().isEmpty) {
            let batch = outstanding.withLock { list -> [Deferred<Int>] in
                defer { list.removeAll() }
                return list
            }
            for work in batch { work.resolve(0) }
        }
        let stopped = queue.stop()
        #expect(try stopped.result?.get().isEmpty == true)
        let total = threads * jobsPerThread
        let counts = ends.withLock { $0 }
        #expect(counts.count == total)
        #expect(counts.values.allSatisfy { $0 == 1 })
        #expect(jobs.withLock { $0.allSatisfy(\.isComplete) })
    }
}
