import DeferredKit

// MARK: - DistributedPromise

/// A durable promise in the database, named by the id its creator chose, that settles with an `Output`.
///
/// The handle is only a typed id: it is `Codable`, so it can travel inside another promise's input, and
/// any process can await it with `store.deferred(promise)` or `promise.value(in: store)`.
///
/// ```swift
/// let total: DistributedPromise<Int> = try await store.submit { graph in … }
/// print(try await total.value(in: store))
/// ```
public struct DistributedPromise<Output: Codable & Sendable>: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The caller-chosen id; unique in the database.
    public let id: String

    /// A handle for a promise that already exists (submitted elsewhere, perhaps by another process).
    /// The `Output` type is the caller's claim; a mismatch shows up as a decoding error when awaited.
    public init(id: String) {
        self.id = id
    }

    public var description: String { "DistributedPromise(\(id))" }
}

extension DistributedPromise {
    /// A local `Deferred` that completes when this durable promise settles, in any process.
    /// See `PromiseStore.deferred(_:)`.
    public func deferred(in store: PromiseStore) -> Deferred<Output> {
        store.deferred(self)
    }

    /// The settled value, awaited. Cancelling the awaiting task withdraws only this waiter; the durable
    /// promise goes on (use `PromiseStore.cancel(_:)` to cancel it).
    ///
    /// - Throws: `DistributedFailure` when the promise was rejected, a decoding error when its output
    ///   does not decode as `Output`, `CancellationError` when the awaiting task is cancelled.
    public func value(in store: PromiseStore) async throws -> Output {
        try await store.deferred(self).value
    }
}
