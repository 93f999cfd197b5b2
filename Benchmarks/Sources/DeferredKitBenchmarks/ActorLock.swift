// Baseline for the lock cases: the usual actor-based async lock.

/// An async mutual-exclusion lock built on an actor, handing ownership
/// directly to the longest waiter on release (FIFO, like DeferredLock).
actor ActorLock {
    private var locked = false
    private var waiters: [UnsafeContinuation<Void, Never>] = []
    private var head = 0

    func acquire() async {
        if !locked {
            locked = true
            return
        }
        await withUnsafeContinuation { waiters.append($0) }
    }

    func release() {
        if head < waiters.count {
            let next = waiters[head]
            head += 1
            if head == waiters.count { waiters.removeAll(keepingCapacity: true); head = 0 }
            next.resume() // ownership passes to `next`; `locked` stays true
        } else {
            locked = false
        }
    }
}
