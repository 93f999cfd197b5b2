// MARK: - Observing a value or an error

extension Deferred {
    /// Registers `observer` to receive the value, if the Deferred resolves; an error is not passed on.
    ///
    /// Runs like `whenComplete(_:)`: at once if the Deferred is resolved already, otherwise on the
    /// completing thread, in registration order. It is a permanent dependent, and it counts as receiving
    /// an error (a rejection is not reported as unhandled because of it — pair it with `whenFailure`).
    ///
    /// ```swift
    /// download.whenSuccess { data in cache.store(data) }
    /// ```
    @inlinable
    public func whenSuccess(_ observer: @escaping @Sendable (Value) -> Void) {
        whenComplete { result in
            if case .success(let value) = result { observer(value) }
        }
    }

    /// Registers `observer` to receive the error, if the Deferred is rejected; a value is not passed on.
    ///
    /// Runs like `whenComplete(_:)`.
    ///
    /// ```swift
    /// download.whenFailure { error in log.warning("download failed: \(error)") }
    /// ```
    @inlinable
    public func whenFailure(_ observer: @escaping @Sendable (any Error) -> Void) {
        whenComplete { result in
            if case .failure(let error) = result { observer(error) }
        }
    }
}

// MARK: - Observing on an actor

@available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
extension Deferred {
    /// Registers `observer` to receive the result on `actor` — the main actor, or the actor whose code is
    /// calling — so that isolated code can observe a Deferred and change its own state directly.
    ///
    /// The observer runs on `actor`, and nowhere else:
    /// - **at once, before this call returns,** when the Deferred is already complete;
    /// - **synchronously, on the completing thread,** when the Deferred completes while running on
    ///   `actor` (for example, resolved by main-actor code);
    /// - otherwise it is **enqueued on `actor`** — the one hop — and runs there after the completing
    ///   thread's observers.
    ///
    /// Like `whenComplete(_:)`, it is a permanent dependent. Each delivery that does not run at once
    /// costs one task on `actor`.
    ///
    /// ```swift
    /// @MainActor final class ProfileModel {
    ///     var name = ""
    ///     func load(_ user: Deferred<User>) {
    ///         user.whenComplete(on: MainActor.shared) { result in self.name = (try? result.get().name) ?? "?" }
    ///     }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - actor: the isolation the observer belongs to; the caller must be running on it.
    ///   - observer: a closure isolated to `actor` (it may touch the actor's state).
    public func whenComplete(
        on actor: isolated any Actor,
        _ observer: @escaping (Result<Value, any Error>) -> Void
    ) {
        if let result = completedResult() {
            observer(result)  // already on `actor`
            return
        }
        let delivery = IsolatedDelivery<Value>()
        // Formed here, where `actor` is the isolation: the job runs on `actor` and nowhere else, which is
        // what makes handing the non-Sendable observer to it sound.
        let job: @isolated(any) () async -> Void = { [actor] in
            _ = actor
            observer(delivery.take())
        }
        nonisolated(unsafe) let runOnActor = job
        whenComplete { result in
            delivery.store(result)
            // Runs synchronously when the completing code is already on `actor`; otherwise enqueues there.
            Task.immediate(operation: runOnActor)
        }
    }

    /// Registers `observer` to receive the value on `actor`; see `whenComplete(on:_:)`.
    ///
    /// ```swift
    /// avatar.whenSuccess(on: MainActor.shared) { image in self.avatar = image }
    /// ```
    public func whenSuccess(on actor: isolated any Actor, _ observer: @escaping (Value) -> Void) {
        whenComplete(on: actor) { result in
            if case .success(let value) = result { observer(value) }
        }
    }

    /// Registers `observer` to receive the error on `actor`; see `whenComplete(on:_:)`.
    ///
    /// ```swift
    /// avatar.whenFailure(on: MainActor.shared) { error in self.errorMessage = "\(error)" }
    /// ```
    public func whenFailure(on actor: isolated any Actor, _ observer: @escaping (any Error) -> Void) {
        whenComplete(on: actor) { result in
            if case .failure(let error) = result { observer(error) }
        }
    }
}

/// Carries one result from the completing thread to the task that delivers it on an actor. Stored
/// before the task is created, read by that task only: task creation orders the two.
final class IsolatedDelivery<Value: Sendable>: @unchecked Sendable {
    private var result: Result<Value, any Error>?

    func store(_ result: Result<Value, any Error>) { self.result = result }

    func take() -> Result<Value, any Error> {
        defer { result = nil }
        return result!
    }
}
