// MARK: - allSettled

extension Deferred {
    /// A Deferred for the results of `inputs` — successes and failures alike — in input order.
    ///
    /// It resolves when every input has completed; empty input resolves at once with `[]`. Every input
    /// error counts as handled.
    ///
    /// With `failFast: true` it instead rejects with `FirstFailureError` — the failing input's index and
    /// error — as soon as any input fails, and withdraws from the inputs still pending.
    ///
    /// Cancelling the result withdraws from every pending input; results their cancellers supply are
    /// collected as usual, and if that completes the list, the list is the result.
    ///
    /// ```swift
    /// let results = try await Deferred.allSettled(uploads).value
    /// let failed = results.filter { if case .failure = $0 { true } else { false } }
    /// ```
    @inlinable
    public static func allSettled<C: Collection>(
        _ inputs: C, failFast: Bool = false, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<[Result<Value, any Error>]> where C.Element == Deferred<Value> {
        Combination.run(
            AllSettledRule<Value>(count: inputs.count, failFast: failFast),
            over: inputs, file: file, line: line)
    }
}

// MARK: - FirstFailureError

/// The error of `allSettled(_:failFast: true)`: which input failed first, and how.
///
/// ```swift
/// catch let error as FirstFailureError { print("input \(error.index) failed: \(error.error)") }
/// ```
public struct FirstFailureError: Error, CustomStringConvertible {
    /// The index of the failing input.
    public let index: Int
    /// Its error.
    public let error: any Error

    /// Creates the error.
    ///
    /// ```swift
    /// throw FirstFailureError(index: 2, error: URLError(.timedOut))
    /// ```
    public init(index: Int, error: any Error) {
        self.index = index
        self.error = error
    }

    /// "input 2 failed first: …".
    public var description: String { "input \(index) failed first: \(error)" }
}

// MARK: - AllSettledRule

/// `allSettled`: collect every result in input order; with `failFast`, decide on the first error.
@usableFromInline
struct AllSettledRule<Input: Sendable>: CombinationRule {
    @usableFromInline var results: [Result<Input, any Error>?]
    @usableFromInline var remaining: Int
    @usableFromInline let failFast: Bool

    @inlinable
    init(count: Int, failFast: Bool) {
        results = Array(repeating: nil, count: count)
        remaining = count
        self.failFast = failFast
    }

    @inlinable
    mutating func start() -> Result<[Result<Input, any Error>], any Error>? {
        remaining == 0 ? .success([]) : nil
    }

    @inlinable
    mutating func receive(
        _ result: Result<Input, any Error>, at index: Int
    ) -> Result<[Result<Input, any Error>], any Error>? {
        if failFast, case .failure(let error) = result {
            return .failure(FirstFailureError(index: index, error: error))
        }
        results[index] = result
        remaining -= 1
        guard remaining == 0 else { return nil }
        return .success(results.map { $0! })
    }

    @inlinable
    mutating func takeLeftovers() -> [Result<Input, any Error>?] {
        defer { results = [] }
        return results
    }
}
