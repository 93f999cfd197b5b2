// Runs one operation N times: `InstructionCounts OPERATION N`. The guard runs each operation under
// callgrind at two sizes and divides the difference of the totals by the difference of the sizes, so
// start-up and one-time costs cancel out and what is left is the cost of one operation.

import DeferredKit

/// Keeps a value alive and opaque to the optimiser.
@inline(never)
func sink<T>(_ value: T) { withExtendedLifetime(value) {} }

/// The operations the guard counts, each run `n` times. Each runs on one thread: valgrind 3.19 crashes
/// (an internal SIGSEGV) once Swift's cooperative pool starts a second thread, so "await a pending
/// Deferred" — which needs a resolver elsewhere — is measured in the benchmark package only.
let operations: [String: (Int) async -> Void] = [
    "create-observe-resolve": { n in
        for i in 0 ..< n {
            let d = Deferred<Int>()
            d.whenComplete { sink($0) }
            d.resolve(i)
        }
    },
    "map-link": { n in
        let root = Deferred<Int>()
        var d = root
        for _ in 0 ..< n { d = d.map { $0 &+ 1 } }
        d.whenComplete { sink($0) }
        root.resolve(0)
    },
    "flatMap-link": { n in
        let root = Deferred<Int>()
        var d = root
        for _ in 0 ..< n { d = d.flatMap { Deferred.resolved($0 &+ 1) } }
        d.whenComplete { sink($0) }
        root.resolve(0)
    },
    "await-completed": { n in
        let d = Deferred.resolved(1)
        var sum = 0
        for _ in 0 ..< n { sum &+= (try? await d.value) ?? 0 }
        sink(sum)
    },
    "tasklet-never-suspends": { n in
        var sum = 0
        for i in 0 ..< n { sum &+= (try? await Deferred { i }.value) ?? 0 }
        sink(sum)
    },
    "lock-uncontended": { n in
        let lock = DeferredLock()
        for _ in 0 ..< n {
            let grant = lock.acquire()
            sink(grant)
            lock.release()
        }
    },
    "jobqueue-job": { n in
        // n jobs through a width-8 queue; each handler's Deferred is completed in launch order, which
        // frees a slot and launches the next job.
        let started = StartedJobs()
        let queue = DeferredJobQueue<Int, Int>(width: 8) { argument in
            let work = Deferred<Int>()
            started.items.append((work, argument))
            return work
        }
        for i in 0 ..< n { queue.put(i).whenComplete { sink($0) } }
        var next = 0
        while next < started.items.count {
            let (work, argument) = started.items[next]
            next += 1
            work.resolve(argument)
        }
    },
    "queue-put-get": { n in
        let queue = DeferredQueue<Int>()
        var sum = 0
        for i in 0 ..< n {
            queue.put(i)
            sum &+= (try? await queue.get().value) ?? 0
        }
        sink(sum)
    },
]

/// The handlers' Deferreds in launch order (single-threaded while it runs).
final class StartedJobs: @unchecked Sendable {
    var items: [(Deferred<Int>, Int)] = []
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "list" {
    print("operations:")
    for name in operations.keys.sorted() { print("  \(name)") }
    exit(0)
}
guard arguments.count == 2, let run = operations[arguments.first!], let n = Int(arguments.last!) else {
    print("usage: InstructionCounts OPERATION N, with OPERATION one of:")
    for name in operations.keys.sorted() { print("  \(name)") }
    exit(2)
}
await run(n)

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
