// MARK: - TokenGateStateMachine

/// The rules of `DeferredLock` (one token) and `DeferredSemaphore` (N tokens), without their effects.
///
/// A pure value: each transition is a mutating method that returns what its caller must do once it
/// has left the lock (complete a waiter, report a misuse). `TokenGate` keeps it in a `LockedState` and
/// performs those actions; the machine itself never completes a Deferred or runs a closure it was not
/// handed for that transition. It is generic over `Waiter` so that its transitions can be tested with
/// plain values.
///
/// Invariants: `0 <= available <= limit`; a waiter waits only while no token is free
/// (`!waiters.isEmpty` implies `available == 0`), so nobody overtakes the line.
struct TokenGateStateMachine<Waiter> {
    /// The number of tokens.
    let limit: Int
    /// Tokens nobody holds.
    private(set) var available: Int
    /// Acquires waiting for a token, oldest first.
    private(set) var waiters = WaiterQueue<Waiter>()

    init(limit: Int) {
        self.limit = limit
        self.available = limit
    }

    var waitingCount: Int { waiters.count }

    // MARK: Acquire

    /// **acquire.** A free token with nobody waiting is taken at once (`nil`: granted). Otherwise the
    /// waiter that `makeWaiter` builds for its ticket joins the end of the line and is returned; its
    /// ticket later withdraws it.
    mutating func acquire(makeWaiter: (_ ticket: UInt64) -> Waiter) -> Waiter? {
        if available > 0, waiters.isEmpty {
            available -= 1
            return nil
        }
        let waiter = makeWaiter(waiters.nextTicket)
        waiters.append(waiter)
        return waiter
    }

    // MARK: Release

    /// What a release asks its caller to do.
    enum ReleaseAction {
        /// Hand the token straight to this waiter (it left the line; the free count did not change). If
        /// the waiter turns out to be cancelled already, release again: the token goes on down the line.
        case handOff(Waiter)
        /// Nothing: the token became free.
        case freed
        /// Misuse: no token was held.
        case notHeld
    }

    /// **release.** The token passes to the oldest waiter, or becomes free.
    mutating func release() -> ReleaseAction {
        if available >= limit { return .notHeld }
        if let waiter = waiters.popFirst() { return .handOff(waiter) }
        available += 1
        return .freed
    }

    // MARK: Withdraw

    /// **withdraw.** Takes the waiter of `ticket` out of the line, if a release has not picked it yet, and
    /// returns it so that it is released after the lock.
    mutating func withdraw(ticket: UInt64) -> Waiter? {
        waiters.remove(ticket: ticket)
    }
}

extension TokenGateStateMachine: Sendable where Waiter: Sendable {}
