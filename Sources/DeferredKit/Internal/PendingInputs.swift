// MARK: - PendingInputs

/// The inputs a collector still waits on, held weakly (a strong hold would keep dropped, never-completing
/// inputs alive through their own observers), so that it can withdraw from them. Not thread-safe: keep
/// it in the owner's locked state.
struct PendingInputs<Value: Sendable>: Sendable {
    private struct Slot: Sendable {
        weak var input: Deferred<Value>?
    }

    private var slots: [Slot] = []
    private var pendingIndices = Set<Int>()

    /// Records `input` and returns its index.
    mutating func add(_ input: Deferred<Value>) -> Int {
        slots.append(Slot(input: input))
        pendingIndices.insert(slots.count - 1)
        return slots.count - 1
    }

    /// The input at `index` delivered its result (clearing a weak reference releases nothing).
    mutating func settle(_ index: Int) {
        if pendingIndices.remove(index) != nil { slots[index].input = nil }
    }

    /// Whether the input at `index` has not delivered its result.
    func isPending(_ index: Int) -> Bool { pendingIndices.contains(index) }

    /// How many inputs have not delivered their result.
    var pendingCount: Int { pendingIndices.count }

    /// Every input still pending and alive, in index order, to withdraw from after unlocking. They stay
    /// pending: a withdrawn input still delivers its final result (or `CancellationError`).
    func pendingInputs() -> [(index: Int, input: Deferred<Value>)] {
        pendingIndices.sorted().compactMap { index in slots[index].input.map { (index, $0) } }
    }
}
