// MARK: - The lock and semaphore model

extension Model {
    /// The documented semantics of `DeferredLock` (one token) and `DeferredSemaphore` (N tokens),
    /// sequentially.
    ///
    /// - `acquire()` is granted at once when a token is free and nobody waits; otherwise it waits in line.
    /// - `release()` hands the token straight to the oldest waiter (so at most N hold a token, and the line
    ///   is served first-in first-out), or frees it.
    /// - Cancelling a waiting acquire takes it out of the line and rejects it with `CancellationError`; it
    ///   never receives a token. Cancelling a granted acquire changes nothing.
    /// - A waiting acquire's Deferred is library-owned: completing it from outside is refused.
    struct TokenGateModel {
        enum WaiterState: Equatable, CustomStringConvertible {
            case waiting
            case holding
            case released
            case cancelled

            var description: String {
                switch self {
                case .waiting: "waiting"
                case .holding: "holding a token"
                case .released: "released its token"
                case .cancelled: "cancelled"
                }
            }
        }

        let limit: Int
        private(set) var waiters: [WaiterState] = []
        private(set) var line: [Int] = []
        private(set) var holders: [Int] = []
        /// Every grant, in order.
        private(set) var grants: [Int] = []

        init(limit: Int) { self.limit = limit }

        var freeTokens: Int { limit - holders.count }

        mutating func acquire() -> Int {
            let waiter = waiters.count
            if holders.count < limit, line.isEmpty {
                waiters.append(.holding)
                holders.append(waiter)
                grants.append(waiter)
            } else {
                waiters.append(.waiting)
                line.append(waiter)
            }
            return waiter
        }

        /// `holder` releases its token; returns the waiter it was handed to, if any.
        @discardableResult
        mutating func release(_ holder: Int) -> Int? {
            precondition(waiters[holder] == .holding, "model: releasing a token that is not held")
            waiters[holder] = .released
            holders.removeAll { $0 == holder }
            guard !line.isEmpty else { return nil }
            let next = line.removeFirst()
            waiters[next] = .holding
            holders.append(next)
            grants.append(next)
            return next
        }

        /// Cancels `waiter`'s acquire: removes it from the line if it waits; otherwise nothing changes.
        mutating func cancel(_ waiter: Int) {
            guard waiters[waiter] == .waiting else { return }
            waiters[waiter] = .cancelled
            line.removeAll { $0 == waiter }
        }

        /// `resolve(())` from outside on an acquire's Deferred: refused, nothing changes.
        func completeFromOutside(_ waiter: Int) -> Bool { false }
    }
}
