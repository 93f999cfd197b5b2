// MARK: - TokenGate

/// The effects of `DeferredLock` and `DeferredSemaphore`: a `TokenGateStateMachine` behind the
/// library's lock, and the Deferreds it hands out.
///
/// Every transition runs under the lock and returns an action; the action (completing a waiter,
/// trapping on a misuse) runs after the lock is left. A waiter's Deferred is completed by `release()`
/// outside the lock, so a release made inside a waiter's observer is queued by the firing loop instead of
/// recursing. If that waiter was cancelled after the machine picked it (`completeAsOwner` returns
/// `false`), the token goes on to the next waiter (a loop, not recursion).
final class TokenGate: Sendable {
    let state: LockedState<TokenGateStateMachine<TokenWaiter>>
    /// The number of tokens.
    let limit: Int
    /// Names the owning type in precondition messages.
    let owner: StaticString
    /// What an acquire that succeeds at once returns. A completed Deferred never changes and stores no
    /// observers (they run at once), so one instance per gate serves every uncontended acquire without an
    /// allocation. It is library-owned, so nobody can complete it, and it belongs to this gate alone, so
    /// uncontended acquires of different locks never touch a shared object (an earlier version returned
    /// one Deferred for the whole process, whose reference count every acquire of every lock contended).
    let granted: Deferred<Void>

    init(limit: Int, owner: StaticString, site: DeferredCallSite) {
        self.limit = limit
        self.owner = owner
        state = LockedState(TokenGateStateMachine(limit: limit))
        granted = .owned(completedWith: .success(()), at: site)
    }

    // MARK: Acquiring and releasing

    func acquire(file: StaticString, line: UInt) -> Deferred<Void> {
        let waiter = state.withLock { machine in
            machine.acquire { ticket in TokenWaiter(gate: self, ticket: ticket, site: DeferredCallSite(file, line)) }
        }
        return waiter ?? granted
    }

    func release() {
        while true {
            switch state.withLock({ $0.release() }) {
            case .freed:
                return
            case .notHeld:
                preconditionFailure("\(owner).release() called when no token is held (more releases than acquires)")
            case .handOff(let waiter):
                if waiter.completeAsOwner(.success(())) { return }
                // `waiter` was cancelled after it left the line: the token goes on to the next one.
            }
        }
    }

    /// Takes a cancelled waiter out of the line, if release has not picked it yet.
    func withdraw(ticket: UInt64) {
        let removed = state.withLock { $0.withdraw(ticket: ticket) }
        _ = removed  // released here, after the lock
    }

    var snapshot: (available: Int, waiting: Int) {
        state.withLock { ($0.available, $0.waitingCount) }
    }

    // MARK: Running bodies

    func run<T>(file: StaticString, line: UInt, _ body: @escaping @Sendable () throws -> T) -> Deferred<T> {
        acquire(file: file, line: line).map(file: file, line: line) { _ in
            defer { self.release() }
            return try body()
        }
    }

    func runDeferred<T>(
        file: StaticString, line: UInt, _ body: @escaping @Sendable () throws -> Deferred<T>
    ) -> Deferred<T> {
        acquire(file: file, line: line).flatMap(file: file, line: line) { _ in
            let inner: Deferred<T>
            do {
                inner = try body()
            } catch {
                self.release()
                throw error
            }
            // Passive: a caller that withdraws must not take the release away with its own observer.
            inner.addPassiveObserver { _ in self.release() }
            return inner
        }
    }

    func runAsync<T>(
        file: StaticString, line: UInt, _ body: @escaping @Sendable () async throws -> T
    ) -> Deferred<T> {
        runDeferred(file: file, line: line) {
            Deferred<T>(isolation: nil, file: file, line: line) { try await body() }
        }
    }

    nonisolated(nonsending) func withToken<T>(
        file: StaticString, line: UInt, _ body: nonisolated(nonsending) () async throws -> T
    ) async throws -> T {
        try await acquire(file: file, line: line).value
        defer { release() }
        return try await body()
    }
}

// MARK: - TokenWaiter

/// A waiting acquire: its own Deferred, which knows its gate and its ticket, so that its cancel action is
/// one shared closure that captures nothing. A waiting acquire allocates this object and the Deferred's
/// rare parts, where a Deferred with a capturing canceller allocated two closure contexts besides.
final class TokenWaiter: Deferred<Void>, @unchecked Sendable {  // its own fields are immutable and Sendable
    // Weak, so that a dropped lock is freed (its waiters are then abandoned; cancelling one rejects it).
    weak let gate: TokenGate?
    let ticket: UInt64

    init(gate: TokenGate, ticket: UInt64, site: DeferredCallSite) {
        self.gate = gate
        self.ticket = ticket
        super.init(owned: site, cancelAction: TokenWaiter.withdrawOnCancel)
    }

    /// The cancel action of every waiter: takes it out of its gate's line.
    static var withdrawOnCancel: CancelAction {
        .canceller { object in  // captures nothing: no allocation
            let waiter = unsafeDowncast(object, to: TokenWaiter.self)
            waiter.gate?.withdraw(ticket: waiter.ticket)
        }
    }
}
