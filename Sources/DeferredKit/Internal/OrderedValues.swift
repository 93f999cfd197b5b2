// MARK: - OrderedValues

/// Values kept in input order while inputs complete in any order, counting down to the last one — the
/// state shared by `all` and `DeferredGroup.values()`.
@usableFromInline
struct OrderedValues<Input: Sendable>: Sendable {
    @usableFromInline var values: [Input?]
    @usableFromInline var remaining: Int

    @inlinable
    init(count: Int = 0) {
        values = Array(repeating: nil, count: count)
        remaining = count
    }

    /// Makes room for one more input, at the end.
    @inlinable
    mutating func addSlot() {
        values.append(nil)
        remaining += 1
    }

    /// Stores the value of the input at `index`.
    @inlinable
    mutating func store(_ value: Input, at index: Int) {
        values[index] = value
        remaining -= 1
    }

    /// Whether every input has a value.
    @inlinable
    var isFull: Bool { remaining == 0 }

    /// Every value, in input order. Only when `isFull`.
    @inlinable
    func collect() -> [Input] {
        values.map { $0! }
    }

    /// Moves out the storage, to be released after unlocking (a value's `deinit` is user code).
    @inlinable
    mutating func take() -> [Input?] {
        defer { values = [] }
        return values
    }
}
