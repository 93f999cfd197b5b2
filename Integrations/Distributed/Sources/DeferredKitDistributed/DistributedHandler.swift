// MARK: - DistributedHandler

/// A step of a distributed algorithm: a named, registered handler with `Codable` input and output.
///
/// Closures cannot travel between processes in Swift, so a durable promise names the handler that runs
/// it. A worker claims only promises whose handler name it registered. Change the name when you change
/// the behaviour: promises already in the database keep naming the old one.
///
/// `run` may execute more than once for one promise (a worker that dies mid-run loses its lease and the
/// promise is retried elsewhere): handlers are at-least-once. Writes made through
/// `context.transaction` commit together with the completion, so they happen exactly once; effects
/// outside the database should be keyed by `context.idempotencyKey`.
///
/// Cancellation: the handler's task is cancelled when the worker loses the attempt (lease lost, the
/// promise timed out or was cancelled); its result is then discarded.
///
/// ```swift
/// struct CountShard: DistributedHandler {
///     static let name = "count-shard.v1"
///     func run(_ shard: Shard, context: DistributedContext) async throws -> Int { … }
/// }
/// ```
public protocol DistributedHandler: Sendable {
    associatedtype Input: Codable & Sendable
    associatedtype Output: Codable & Sendable

    /// The name promises use to find this handler. Give changed behaviour a new name.
    static var name: String { get }

    /// Runs one attempt. Throwing rejects the promise with a `DistributedFailure` of kind `.failed`
    /// (or with the thrown `DistributedFailure` itself).
    func run(_ input: Input, context: DistributedContext) async throws -> Output
}

// MARK: - Type erasure

/// A handler seen by a worker: JSON in, JSON out.
struct ErasedHandler: Sendable {
    let name: String
    let run: @Sendable (_ inputJSON: String, _ context: DistributedContext) async throws -> String

    init<Handler: DistributedHandler>(_ handler: Handler) {
        name = Handler.name
        run = { inputJSON, context in
            let input = try JSONCoding.decode(Handler.Input.self, from: inputJSON)
            let output = try await handler.run(input, context: context)
            return try JSONCoding.encode(output)
        }
    }
}
