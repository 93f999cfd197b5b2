import NIOConcurrencyHelpers

// MARK: - SettlementWaiters

/// The local waiters for durable promises, by id, and the ids the checker should look up next.
///
/// A waiter is a delivery closure; it runs once, outside the lock, with the promise's settled outcome
/// (output JSON or failure). Removing a waiter (its local await was cancelled) never touches the others.
final class SettlementWaiters: Sendable {
    typealias Outcome = Result<String, DistributedFailure>
    typealias Delivery = @Sendable (Outcome) -> Void

    private struct State {
        var waiters: [String: [UInt64: Delivery]] = [:]
        var nextToken: UInt64 = 0
        /// Ids to look up at the next check (notified, or newly awaited).
        var dirty: Set<String> = []
        /// Whether the next check looks up every awaited id (after a reconnect, and when polling).
        var checkEverything = false
        /// Tokens removed before their waiter was added.
        var withdrawn: Set<UInt64> = []
    }

    private let state = NIOLockedValueBox(State())

    /// A token for a waiter about to be added.
    func makeToken() -> UInt64 {
        state.withLockedValue { state in
            state.nextToken += 1
            return state.nextToken
        }
    }

    /// Adds a waiter under `token` and marks its id for a look-up. A waiter removed before it was added
    /// (its Deferred was cancelled at once) is not added.
    func add(_ id: String, token: UInt64, _ delivery: @escaping Delivery) {
        state.withLockedValue { state in
            guard !state.withdrawn.contains(token) else {
                state.withdrawn.remove(token)
                return
            }
            state.waiters[id, default: [:]][token] = delivery
            state.dirty.insert(id)
        }
    }

    /// Removes one waiter. Returns whether it was still waiting.
    @discardableResult
    func remove(_ id: String, token: UInt64) -> Bool {
        let removed: Delivery? = state.withLockedValue { state in
            let delivery = state.waiters[id]?.removeValue(forKey: token)
            if delivery == nil { state.withdrawn.insert(token) }
            if state.waiters[id]?.isEmpty == true { state.waiters[id] = nil }
            return delivery
        }
        return removed != nil   // released here, outside the lock
    }

    /// Marks an id that was announced as settled, if anyone here waits for it. Returns whether it did.
    func markSettled(_ id: String) -> Bool {
        state.withLockedValue { state in
            guard state.waiters[id] != nil else { return false }
            state.dirty.insert(id)
            return true
        }
    }

    func markEverything() {
        state.withLockedValue { $0.checkEverything = true }
    }

    /// The ids to look up now (and clears the marks).
    func takeIdsToCheck(everything: Bool) -> [String] {
        state.withLockedValue { state in
            let all = everything || state.checkEverything
            state.checkEverything = false
            let ids = all ? Array(state.waiters.keys) : state.dirty.filter { state.waiters[$0] != nil }
            state.dirty.removeAll()
            return Array(ids)
        }
    }

    /// Delivers settled outcomes to every waiter of those ids, outside the lock, in id order.
    func deliver(_ outcomes: [String: Outcome]) {
        let deliveries: [(Delivery, Outcome)] = state.withLockedValue { state in
            var deliveries: [(Delivery, Outcome)] = []
            for (id, outcome) in outcomes.sorted(by: { $0.key < $1.key }) {
                guard let waiters = state.waiters.removeValue(forKey: id) else { continue }
                for (_, delivery) in waiters.sorted(by: { $0.key < $1.key }) { deliveries.append((delivery, outcome)) }
            }
            return deliveries
        }
        for (delivery, outcome) in deliveries { delivery(outcome) }
    }

    var waitingCount: Int { state.withLockedValue { $0.waiters.values.reduce(0) { $0 + $1.count } } }
}
