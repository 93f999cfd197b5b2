// MARK: - firstSuccesses

extension Deferred {
    /// A Deferred for the first `count` of `inputs` to succeed, in the order they succeeded, each with
    /// its index.
    ///
    /// It resolves as soon as `count` inputs have succeeded, and rejects with `NotEnoughSuccessesError`
    /// as soon as so many have failed that `count` can no longer be reached (at once if `count` exceeds
    /// the number of inputs); either way it then withdraws from the inputs still pending. A `count` of 0
    /// resolves at once with `[]`. Every input error counts as handled.
    ///
    /// - Parameters:
    ///   - inputs: the Deferreds to wait on.
    ///   - count: how many successes are needed; it must not be negative.
    ///   - file: the creation site reported by diagnostics; leave the default.
    ///   - line: the creation site reported by diagnostics; leave the default.
    ///
    /// ```swift
    /// // A quorum: two of three replicas must acknowledge.
    /// let acks = try await Deferred.firstSuccesses(replicas.map { $0.write(record) }, count: 2).value
    /// ```
    @inlinable
    public static func firstSuccesses<C: Collection>(
        _ inputs: C, count: Int, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<[(index: Int, value: Value)]> where C.Element == Deferred<Value> {
        precondition(count >= 0, "Deferred.firstSuccesses: count must not be negative (got \(count))")
        return Combination.run(
            FirstSuccessesRule<Value>(total: inputs.count, required: count), over: inputs, file: file, line: line)
    }
}

// MARK: - NotEnoughSuccessesError

/// The error of `firstSuccesses(_:count:)` once `count` successes can no longer be reached.
///
/// ```swift
/// catch let error as NotEnoughSuccessesError { print(error.failures.map(\.index)) }
/// ```
public struct NotEnoughSuccessesError: Error, CustomStringConvertible {
    /// How many successes were required.
    public let required: Int
    /// How many inputs had succeeded when the result was rejected.
    public let succeeded: Int
    /// The failures received so far, in input order.
    public let failures: [(index: Int, error: any Error)]

    /// Creates the error.
    ///
    /// ```swift
    /// throw NotEnoughSuccessesError(required: 2, succeeded: 1, failures: [(0, timeout)])
    /// ```
    public init(required: Int, succeeded: Int, failures: [(index: Int, error: any Error)]) {
        self.required = required
        self.succeeded = succeeded
        self.failures = failures
    }

    /// "2 successes required, 1 reached, 2 inputs failed".
    public var description: String {
        "\(required) successes required, \(succeeded) reached, \(failures.count) inputs failed"
    }
}

// MARK: - FirstSuccessesRule

/// `firstSuccesses`: decide on the `required`-th success, or as soon as too many have failed.
@usableFromInline
struct FirstSuccessesRule<Input: Sendable>: CombinationRule {
    @usableFromInline let total: Int
    @usableFromInline let required: Int
    @usableFromInline var successes: [(index: Int, value: Input)] = []
    @usableFromInline var failures: [(index: Int, error: any Error)] = []

    @inlinable
    init(total: Int, required: Int) {
        self.total = total
        self.required = required
    }

    @inlinable
    mutating func start() -> Result<[(index: Int, value: Input)], any Error>? {
        if required == 0 { return .success([]) }
        if required > total { return .failure(rejection()) }
        return nil
    }

    @inlinable
    mutating func receive(
        _ result: Result<Input, any Error>, at index: Int
    ) -> Result<[(index: Int, value: Input)], any Error>? {
        switch result {
        case .success(let value):
            successes.append((index, value))
            return successes.count == required ? .success(successes) : nil
        case .failure(let error):
            failures.append((index, error))
            return total - failures.count < required ? .failure(rejection()) : nil
        }
    }

    @inlinable
    mutating func takeLeftovers() -> ([(index: Int, value: Input)], [(index: Int, error: any Error)]) {
        defer { successes = []; failures = [] }
        return (successes, failures)
    }

    @inlinable
    func rejection() -> NotEnoughSuccessesError {
        NotEnoughSuccessesError(
            required: required, succeeded: successes.count,
            failures: failures.sorted { $0.index < $1.index })
    }
}
