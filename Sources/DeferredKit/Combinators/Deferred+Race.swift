// MARK: - race

extension Deferred {
    /// A Deferred that completes like the first of `inputs` to complete — with its index and value, or
    /// with its error — and then withdraws from the others (each one that nobody else wants is cancelled).
    ///
    /// It has the shape of `firstSuccess`, which ignores failures until every input has failed.
    ///
    /// An input that is already complete wins at once (the first such one in input order). Empty input
    /// rejects at once with an empty `AllFailedError`.
    ///
    /// ```swift
    /// let (server, reply) = try await Deferred.race([primary.fetch(key), replica.fetch(key)]).value
    /// ```
    @inlinable
    public static func race<C: Collection>(
        _ inputs: C, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<(index: Int, value: Value)> where C.Element == Deferred<Value> {
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
    mutating func start() -> Result<(index: Int, value: Input), any Error>? {
        count == 0 ? .failure(AllFailedError(errors: [])) : nil
    }

    @inlinable
    mutating func receive(
        _ result: Result<Input, any Error>, at index: Int
    ) -> Result<(index: Int, value: Input), any Error>? {
        result.map { (index, $0) }
    }
}
