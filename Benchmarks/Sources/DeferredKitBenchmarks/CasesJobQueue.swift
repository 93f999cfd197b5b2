// `DeferredJobQueue` (txrdq's resizable dispatch queue): many jobs through a width-8 queue.

import DeferredKit

func jobQueueCases(smoke: Bool) -> [BenchCase] {
    (smoke ? [100, 1_000] : [10_000, 100_000]).map(jobsThroughWidth8)
}

// MARK: - N jobs through a width-8 queue

/// Queue N jobs whose handler returns a pending Deferred, then complete the handlers' Deferreds in the
/// order they were started: every completion frees a slot and launches the next job, so at most 8 are
/// underway. The results must sum to 0 + 1 + ... + (N-1). ns/op is per job.
private func jobsThroughWidth8(_ count: Int) -> BenchCase {
    BenchCase(
        name: "jobqueue/n=\(count)",
        summary: "put \(count) jobs into a width-8 DeferredJobQueue, complete them as they launch",
        opsPerIteration: count, opName: "job",
        contenders: [
            .ours("DeferredKit DeferredJobQueue") { n in
                for _ in 0 ..< n {
                    let started = StartedJobs()
                    let queue = DeferredJobQueue<Int, Int>(width: 8) { argument in
                        let work = Deferred<Int>()
                        started.items.append((work, argument))
                        return work
                    }
                    for i in 0 ..< count {
                        queue.put(i).whenComplete { result in
                            if case .success(let job) = result, case .success(let v)? = job.result {
                                Accumulator.shared.add(v)
                            }
                        }
                    }
                    var next = 0
                    while next < started.items.count {
                        let (work, argument) = started.items[next]
                        next += 1
                        work.resolve(argument)
                    }
                }
                checkJobs(n, count)
            },
            .baseline("TaskGroup, 8 at a time") { n in
                for _ in 0 ..< n {
                    await withTaskGroup(of: Int.self) { group in
                        var submitted = 0
                        while submitted < min(8, count) { let i = submitted; group.addTask { i }; submitted += 1 }
                        for await v in group {
                            Accumulator.shared.add(v)
                            if submitted < count { let i = submitted; group.addTask { i }; submitted += 1 }
                        }
                    }
                }
                checkJobs(n, count)
            },
        ],
        targets: [.time("TaskGroup, 8 at a time", 2.0)],  // issue 11
        scaling: Scaling(series: "jobqueue", x: count))
}

/// The handler's Deferreds in launch order (the benchmark is single-threaded while it runs).
private final class StartedJobs: @unchecked Sendable {
    var items: [(Deferred<Int>, Int)] = []
}

/// Each of the n runs must deliver every job once: count results summing to 0 + ... + (count - 1).
private func checkJobs(_ n: Int, _ count: Int) {
    let (sum, calls) = Accumulator.shared.take()
    verify(calls, n &* count, "finished jobs")
    verify(sum, n &* triangular(count), "sum of job results")
}
