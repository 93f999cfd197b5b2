// A release storm: N waiters queue on a DeferredLock, and each releases the lock inside its own
// completion observer. Twisted's DeferredLock overflows the stack at about 200; here the firing loop
// queues each hand-off, so every waiter acquires in order at constant stack depth.
//
//     swift run -c release LockStorm            # 1,000,000 waiters
//     swift run -c release LockStorm 5000000
import DeferredKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(never)
func stackAddress() -> UInt {
    var marker = 0
    return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
}

final class Progress: Sendable {
    let state = Mutex((next: 0, outOfOrder: 0, base: UInt(0), depth: UInt(0)))
}

let waiters = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 1_000_000
let lock = DeferredLock()
let progress = Progress()
_ = lock.acquire()
for i in 0..<waiters {
    lock.acquire().whenComplete { _ in
        let here = stackAddress()
        progress.state.withLock { s in
            if s.next != i { s.outOfOrder += 1 }
            s.next += 1
            if s.base == 0 { s.base = here }
            s.depth = max(s.depth, s.base > here ? s.base - here : here - s.base)
        }
        lock.release()
    }
}
print("queued \(lock.waitingCount) waiters; releasing")
let start = ContinuousClock.now
lock.release()
let elapsed = ContinuousClock.now - start
let s = progress.state.withLock { $0 }
print("acquired: \(s.next) of \(waiters), out of order: \(s.outOfOrder), lock free: \(!lock.isLocked)")
print("deepest observer frame: \(s.depth) bytes below the first; storm took \(elapsed)")
