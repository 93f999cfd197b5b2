// MARK: - DistributedFailure

/// Why a durable promise was rejected. It is stored in the database as JSON, so every process that
/// awaits the promise (and every `recover` handler downstream) sees the same failure.
///
/// ```swift
/// do { _ = try await total.value(in: store) }
/// catch let failure as DistributedFailure where failure.kind == .timedOut { … }
/// ```
public struct DistributedFailure: Error, Codable, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// The handler threw.
        case failed
        /// The promise passed its deadline.
        case timedOut
        /// Someone called `PromiseStore.cancel` on it (or on a promise it depends on).
        case cancelled
        /// Every attempt lost its lease (the workers died or stopped heartbeating).
        case attemptsExhausted
    }

    public var kind: Kind
    /// A human-readable account (the thrown error's description for `.failed`).
    public var message: String
    /// The id of the promise where the failure started; a dependent that inherits it keeps this id.
    public var promise: String?

    public init(kind: Kind, message: String, promise: String? = nil) {
        self.kind = kind
        self.message = message
        self.promise = promise
    }

    public var description: String {
        "DistributedFailure.\(kind.rawValue)(\(message)\(promise.map { ", at \($0)" } ?? ""))"
    }
}

// MARK: - DistributedError

/// Errors of the store itself (as opposed to a promise's settled failure).
public enum DistributedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A graph reused an id that exists with another definition (handler, input or parents).
    case alreadyExists(id: String)
    /// A graph has two nodes with the same id but different definitions.
    case duplicateInGraph(id: String)
    /// A required environment variable is not set (see `PostgresSettings.fromEnvironment()`).
    case missingEnvironment(String)

    public var description: String {
        switch self {
        case .alreadyExists(let id): "promise \(id) already exists with another definition"
        case .duplicateInGraph(let id): "the graph defines promise \(id) twice, differently"
        case .missingEnvironment(let name): "environment variable \(name) is not set"
        }
    }
}
