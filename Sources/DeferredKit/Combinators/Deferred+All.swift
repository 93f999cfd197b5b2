// MARK: - all

extension Deferred where Value == Void {
    /// A Deferred for the values of several Deferreds of different types, as a tuple in argument order.
    ///
    /// It resolves when every input has resolved, and rejects with the first error as soon as one input
    /// fails; it then withdraws from the inputs still pending (each one that nobody else wants is
    /// cancelled). Cancelling it withdraws from every pending input.
    ///
    /// ```swift
    /// let both = Deferred.all(fetchUser(id), fetchAvatar(id))   // Deferred<(User, Image)>
    /// let (user, avatar) = try await both.value
    /// ```
    ///
    /// It is declared on `Deferred<Void>` only so that `Deferred.all(a, b)` needs no type annotation.
    public static func all<each T: Sendable>(
        _ inputs: repeat Deferred<each T>, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<(repeat each T)> {
        var erased: [Deferred<any Sendable>] = []
        var sources: [any EventSource] = []
        for input in repeat each inputs {
            erased.append(input.map(file: file, line: line) { $0 as any Sendable })
            sources.append(input)
        }
        let output = Deferred<any Sendable>.all(erased, file: file, line: line).map(file: file, line: line) { values in
            var iterator = values.makeIterator()
            return (repeat (iterator.next()! as! each T))
        }
        DeferredKit.forwardEvents(from: sources, to: output)
        return output
    }
}

extension Deferred {
    /// A Deferred for the values of `inputs`, in input order whatever the order in which they complete.
    ///
    /// - Empty input resolves at once with `[]`; inputs that are already complete count at once.
    /// - The first error rejects the result as soon as it occurs; the result then withdraws from every
    ///   input still pending: one that nobody else wants is cancelled, one with other dependents goes on.
    /// - Cancelling the result withdraws from every pending input. If their cancellers supply values,
    ///   the result completes from them by the same rules; otherwise it rejects with `CancellationError`.
    /// - Every input error it receives counts as handled. Time and memory are linear in the count.
    ///
    /// ```swift
    /// let pages = Deferred.all(urls.map(fetch))   // Deferred<[Data]>
    /// for page in try await pages.value { render(page) }
    /// ```
    @inlinable
    public static func all<C: Collection>(
        _ inputs: C, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<[Value]> where C.Element == Deferred<Value> {
        Combination.run(AllRule<Value>(count: inputs.count), over: inputs, file: file, line: line)
    }
}

// MARK: - AllRule

/// `all`: collect every value in input order; decide on the first error.
@usableFromInline
struct AllRule<Input: Sendable>: CombinationRule {
    @usableFromInline var collected: OrderedValues<Input>

    @inlinable
    init(count: Int) {
        collected = OrderedValues(count: count)
    }

    @inlinable
    mutating func start() -> Result<[Input], any Error>? {
        collected.isFull ? .success([]) : nil
    }

    @inlinable
    mutating func receive(_ result: Result<Input, any Error>, at index: Int) -> Result<[Input], any Error>? {
        switch result {
        case .success(let value):
            collected.store(value, at: index)
            return collected.isFull ? .success(collected.collect()) : nil
        case .failure(let error):
            return .failure(error)
        }
    }

    @inlinable
    mutating func takeLeftovers() -> [Input?] { collected.take() }
}
