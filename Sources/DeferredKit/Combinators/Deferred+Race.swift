// MARK: - race

extension Deferred {
    /// A Deferred that completes like the first of `inputs` to complete — success or failure — and then
    /// withdraws from the others (each one that nobody else wants is cancelled).
    ///
    /// An input that is already complete wins at once (the first such one in input order). Empty input
    /// rejects at once with an empty `AllFailedError`. To ignore failures until every input has failed,
    /// use `firstSuccess`.
    ///
    /// ```swift
    /// let reply = Deferred.race([primary.fetch(key), replica.fetch(key)])
    /// ```
    @inlinable
    public static func race<C: Collection>(
        _ inputs: C, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Value> where C.Element == Deferred<Value> {
        Combination.run(RaceRule<Value>(count: inputs.count), over: inputs, file: file, line: line)
    }
}

// MARK: - RaceRule

/// `race`: the first result decides.
@usableFromInline
struct RaceRule<Input: Sendable>: CombinationRule {
    @usableFromInline let count: Int

    @inlinable
    init(count: Int) { self.count = count }

    @inlinable
    mutating func start() -> Result<Input, any Error>? {
        count == 0 ? .failure(AllFailedError(errors: [])) : nil
    }

    @inlinable
    mutating func receive(_ result: Result<Input, any Error>, at index: Int) -> Result<Input, any Error>? {
        result
    }
}
