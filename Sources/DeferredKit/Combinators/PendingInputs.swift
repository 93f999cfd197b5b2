// MARK: - PendingInputs

/// The inputs a collector still waits on, held weakly (a strong hold would keep dropped, never-completing
/// inputs alive through their own observers), so that it can withdraw from them. Not thread-safe: keep
/// it under the owner's lock.
struct PendingInputs<Value: Sendable> {
    private struct Slot {
        weak var input: Deferred<Value>?
    }

    private var slots: [Slot] = []
    private var pendingIndices = Set<Int>()
    private var isWithdrawn = false

    /// Records `input` and returns its index.
    mutating func add(_ input: Deferred<Value>) -> Int {
        slots.append(Slot(input: input))
        pendingIndices.insert(slots.count - 1)
        return slots.count - 1
    }

    /// The input at `index` completed (or was withdrawn from).
    mutating func settle(_ index: Int) {
        if pendingIndices.remove(index) != nil { slots[index].input = nil }
    }

    /// Whether the input at `index` is still awaited.
    func isPending(_ index: Int) -> Bool { pendingIndices.contains(index) }

    /// Every input still pending, once; later calls return nothing. Withdraw from them outside the lock.
    mutating func takeForWithdrawal() -> [Deferred<Value>] {
        if isWithdrawn { return [] }
        isWithdrawn = true
        let inputs = pendingIndices.sorted().compactMap { slots[$0].input }
        pendingIndices.removeAll()
        return inputs
    }

    /// Whether `takeForWithdrawal()` has run: an input added now should be withdrawn from at once.
    var hasWithdrawn: Bool { isWithdrawn }
}
