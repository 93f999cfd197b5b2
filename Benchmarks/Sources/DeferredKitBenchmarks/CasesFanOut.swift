// Many tasks awaiting one Deferred, then resolving it: the cost per waiter of registering, being
// resumed and returning the value, against tasks awaiting one `Task`'s value.

import DeferredKit

func fanOutCases(smoke: Bool) -> [BenchCase] {
    [manyAwaiters(smoke ? 100 : 10_000)]
}

private func manyAwaiters(_ waiters: Int) -> BenchCase {
    BenchCase(
        name: "await.fan-out/n=\(waiters)",
        summary: "\(waiters) tasks await one pending promise, which is then resolved",
        opsPerIteration: waiters, opName: "waiter",
        contenders: [
            .ours { n in
                for _ in 0 ..< n {
                    let shared = Deferred<Int>()
                    let tasks = (0 ..< waiters).map { _ in Task.immediate { (try? await shared.value) ?? 0 } }
                    shared.resolve(1)
                    var sum = 0
                    for task in tasks { sum &+= await task.value }
                    verify(sum, waiters, "sum of awaited values")
                }
            },
            .baseline("Task value") { n in
                for _ in 0 ..< n {
                    let gate = AsyncStream<Int>.makeStream()
                    let shared = Task { () -> Int in
                        for await value in gate.stream { return value }
                        return 0
                    }
                    let tasks = (0 ..< waiters).map { _ in Task.immediate { await shared.value } }
                    gate.continuation.yield(1)
                    var sum = 0
                    for task in tasks { sum &+= await task.value }
                    verify(sum, waiters, "sum of awaited values")
                }
            },
        ])
}
