// MARK: - firstSuccess

extension Deferred {
    /// A Deferred for the first of `inputs` to succeed, with its index; failures are ignored until
    /// every input has failed.
    ///
    /// On the first success it resolves and withdraws from the other inputs (each one that nobody else
    /// wants is cancelled). When every input has failed it rejects with `AllFailedError`, which carries
    /// every failure in input order; empty input rejects at once with an empty one. Every input error
    /// counts as handled. `race` has the same shape but lets the first failure decide too.
    ///
    /// ```swift
    /// let avatar = Deferred.firstSuccess([cache.avatar(id), disk.avatar(id), gravatar.avatar(id)])
    /// let (source, image) = try await avatar.value
    /// ```
    @inlinable
    public static func firstSuccess<C: Collection>(
        _ inputs: C, file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<(index: Int, value: Value)> where C.Element == Deferred<Value> {
        Combination.run(FirstSuccessRule<Value>(count: inputs.count), over: inputs, file: file, line: line)
    }
}

// MARK: - AllFailedError

/// The error of `firstSuccess` (and of `race` over nothing) when no input succeeded: every input's error,
/// in input order.
///
/// ```swift
/// catch let error as AllFailedError { for e in error.errors { log(e) } }
/// ```
public struct AllFailedError: Error, CustomStringConvertible {
    /// The error of each input, in input order.
    public let errors: [any Error]

    /// Creates the error.
    ///
    /// ```swift
    /// throw AllFailedError(errors: [cacheMiss, diskMiss])
    /// ```
    public init(errors: [any Error]) {
        self.errors = errors
    }

    /// "all 3 inputs failed: …", or "there were no inputs".
    public var description: String {
        errors.isEmpty
            ? "there were no inputs"
            : "all \(errors.count) inputs failed: " + errors.map { "\($0)" }.joined(separator: "; ")
    }
}

// MARK: - FirstSuccessRule

/// `firstSuccess`: the first success decides; failures are kept in input order until all have failed.
@usableFromInline
struct FirstSuccessRule<Input: Sendable>: CombinationRule {
    @usableFromInline var errors: [(any Error)?]
    @usableFromInline var remaining: Int

    @inlinable
    init(count: Int) {
        errors = Array(repeating: nil, count: count)
        remaining = count
    }

    @inlinable
    mutating func start() -> Result<(index: Int, value: Input), any Error>? {
        remaining == 0 ? .failure(AllFailedError(errors: [])) : nil
    }

    @inlinable
    mutating func receive(
        _ result: Result<Input, any Error>, at index: Int
    ) -> Result<(index: Int, value: Input), any Error>? {
        switch result {
        case .success(let value):
            return .success((index, value))
        case .failure(let error):
            errors[index] = error
            remaining -= 1
            guard remaining == 0 else { return nil }
            return .failure(AllFailedError(errors: errors.map { $0! }))
        }
    }

    @inlinable
    mutating func takeLeftovers() -> [(any Error)?] {
        defer { errors = [] }
        return errors
    }
}
