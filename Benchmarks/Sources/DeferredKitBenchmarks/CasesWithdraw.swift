// Withdrawal: many tasks await one shared Deferred, then all of them are cancelled while another
// dependent keeps the Deferred alive. Each withdrawal must cost O(1), so ns per awaiter stays flat
// from 10,000 to 100,000 awaiters (it grew linearly — O(N²) in all — with a searched observer list).

import DeferredKit

func withdrawCases(smoke: Bool) -> [BenchCase] {
    (smoke ? [100, 1_000] : [10_000, 100_000]).map(cancelAwaiters)
}

private func cancelAwaiters(_ count: Int) -> BenchCase {
    BenchCase(
        name: "withdraw.awaiters/n=\(count)",
        summary: "\(count) tasks await one Deferred, then every task is cancelled (another dependent remains)",
        opsPerIteration: count, opName: "awaiter",
        contenders: [
            .ours { n in
                var cancelled = 0
                for _ in 0 ..< n {
                    let shared = Deferred<Int>()
                    let keeper = shared.map { $0 }
                    var waiters: [Task<Int, any Error>] = []
                    waiters.reserveCapacity(count)
                    // `Task.immediate` runs each body up to its suspension, so every awaiter is registered
                    // before the loop goes on.
                    for _ in 0 ..< count { waiters.append(Task.immediate { try await shared.value }) }
                    for waiter in waiters { waiter.cancel() }
                    for waiter in waiters {
                        if case .failure(let error) = await waiter.result, error is CancellationError { cancelled += 1 }
                    }
                    shared.resolve(1)
                    verify(keeper.result.map { (try? $0.get()) ?? 0 } ?? 0, 1, "the remaining dependent's value")
                }
                verify(cancelled, n * count, "awaiters that ended with CancellationError")
            },
        ],
        scaling: Scaling(series: "withdraw awaiters", x: count))
}
