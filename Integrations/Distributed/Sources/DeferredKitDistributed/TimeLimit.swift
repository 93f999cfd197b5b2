import NIOConcurrencyHelpers

// MARK: - Time limits

/// An operation on the database that did not finish in time.
public struct DatabaseTimeoutError: Error, CustomStringConvertible {
    public var limit: Duration
    public var description: String { "a database operation did not finish within \(limit)" }
}

/// The connection closed while an operation used it (the server restarted, or the network dropped).
public struct ConnectionLostError: Error, CustomStringConvertible {
    public var description: String { "the database connection closed during the operation" }
}

/// Runs `operation` in a task of its own and returns what it returns, or throws `DatabaseTimeoutError`
/// after `limit`, or `ConnectionLostError` as soon as `abandonWhen` returns true (checked every 100 ms);
/// cancelling the caller cancels the operation and throws `CancellationError`.
///
/// Why a task of its own rather than a task group: a postgres-nio call on a connection that the server
/// has just closed (a restart) can wait forever without heeding cancellation, and a task group would
/// wait for it. Here a timed-out operation is cancelled and abandoned, and the caller goes on (retrying on
/// a new connection).
@discardableResult
func withTimeLimit<Result: Sendable>(
    _ limit: Duration, abandonWhen lost: (@Sendable () -> Bool)? = nil,
    _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let waiter = NIOLockedValueBox<CheckedContinuation<Result, any Error>?>(nil)
    let tasks = NIOLockedValueBox<(work: Task<Void, Never>?, timer: Task<Void, Never>?)>((nil, nil))
    @Sendable func finish(_ outcome: Swift.Result<Result, any Error>) -> Bool {
        guard let continuation = waiter.withLockedValue({ state in defer { state = nil }; return state }) else { return false }
        continuation.resume(with: outcome)
        return true
    }
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            waiter.withLockedValue { $0 = continuation }
            let work = Task {
                do {
                    let value = try await operation()
                    _ = finish(.success(value))
                } catch {
                    _ = finish(.failure(error))
                }
                tasks.withLockedValue { $0.timer }?.cancel()
            }
            let timer = Task {
                if let lost {
                    // Checked every 100 ms: the connection went away under the operation.
                    let clock = ContinuousClock()
                    let deadline = clock.now + limit
                    while !Task.isCancelled, clock.now < deadline {
                        try? await Task.sleep(for: .milliseconds(100))
                        if lost(), finish(.failure(ConnectionLostError())) {
                            work.cancel()
                            return
                        }
                    }
                } else {
                    try? await Task.sleep(for: limit)
                }
                if !Task.isCancelled, finish(.failure(DatabaseTimeoutError(limit: limit))) { work.cancel() }
            }
            tasks.withLockedValue { $0 = (work, timer) }
        }
    } onCancel: {
        let (work, timer) = tasks.withLockedValue { $0 }
        if finish(.failure(CancellationError())) {
            work?.cancel()
            timer?.cancel()
        }
    }
}
