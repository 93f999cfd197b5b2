// DeferredLock acquire/release, uncontended and with 8 contending tasks.

import DeferredKit


func lockCases() -> [BenchCase] {
    [uncontended(), contended(tasks: 8)]
}

// MARK: - uncontended

private func uncontended() -> BenchCase {
    BenchCase(
        name: "lock.uncontended",
        summary: "acquire, increment a shared counter, release; one task",
        contenders: [
            .ours("DeferredKit DeferredLock") { n in
                let lock = DeferredLock()
                let counter = UnsafeCounter()
                for _ in 0 ..< n {
                    try! await lock.acquire().value
                    counter.value &+= 1
                    lock.release()
                }
                verify(counter.value, n, "counter")
            },
            .baseline("actor lock") { n in
                let lock = ActorLock()
                let counter = UnsafeCounter()
                for _ in 0 ..< n {
                    await lock.acquire()
                    counter.value &+= 1
                    await lock.release()
                }
                verify(counter.value, n, "counter")
            },
        ],
        targets: [.time("actor lock", 1.0)])
}

// MARK: - contended

/// `tasks` tasks each do n acquire/increment/yield/release rounds; ns/op is per
/// acquire/release pair, so one iteration is `tasks` ops. The `Task.yield()`
/// inside the critical section (paid by both contenders) lets the other tasks
/// run and queue up, so the lock really has waiters; without it, cooperative
/// scheduling would let each task finish its loop before the next one starts.
private func contended(tasks: Int) -> BenchCase {
    BenchCase(
        name: "lock.contended-\(tasks)",
        summary: "\(tasks) tasks each acquire, increment a shared counter, Task.yield(), release",
        opsPerIteration: tasks, opName: "acquire",
        contenders: [
            .ours("DeferredKit DeferredLock") { n in
                let lock = DeferredLock()
                let counter = UnsafeCounter()
                await withTaskGroup(of: Void.self) { g in
                    for _ in 0 ..< tasks {
                        g.addTask {
                            for _ in 0 ..< n {
                                try! await lock.acquire().value
                                counter.value &+= 1
                                await Task.yield()
                                lock.release()
                            }
                        }
                    }
                }
                verify(counter.value, n &* tasks, "counter")
            },
            .baseline("actor lock") { n in
                let lock = ActorLock()
                let counter = UnsafeCounter()
                await withTaskGroup(of: Void.self) { g in
                    for _ in 0 ..< tasks {
                        g.addTask {
                            for _ in 0 ..< n {
                                await lock.acquire()
                                counter.value &+= 1
                                await Task.yield()
                                await lock.release()
                            }
                        }
                    }
                }
                verify(counter.value, n &* tasks, "counter")
            },
        ],
        targets: [.time("actor lock", 1.1)])  // issue 11
}
