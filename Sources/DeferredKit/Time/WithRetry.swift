// MARK: - withRetry

/// Runs `operation` until it succeeds, waiting before each try for the next delay of `backoff`, and
/// returns its value; throws what `Deferred.retrying` rejects with.
///
/// It is `Deferred.retrying(backoff:shouldRetry:tolerance:clock:_:).value`, with the same rules: each
/// element of `backoff` is the delay before one try; `shouldRetry(error, attempt)` decides whether an
/// error is transient (otherwise it is thrown); when the tries run out, `RetriesExhaustedError` is
/// thrown. Cancelling the calling task stops retrying and cancels the try in flight. Each try runs in a
/// task of its own.
///
/// ```swift
/// let user = try await withRetry(backoff: DeferredBackoff.exponential(count: 5)) { try await api.user(id) }
/// ```
@available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
public func withRetry<Value: Sendable, Delays: Sequence<Duration>>(
    backoff: Delays = DeferredBackoff.exponential(),
    shouldRetry: @escaping @Sendable (any Error, Int) -> Bool = { error, _ in !(error is CancellationError) },
    tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
    file: StaticString = #fileID, line: UInt = #line,
    operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await Deferred<Value>.retrying(
        backoff: backoff, shouldRetry: shouldRetry, tolerance: tolerance, clock: clock, file: file, line: line,
        operation
    ).value
}

/// Runs `operation` until it succeeds, starting no try after `deadline` on `clock`, and returns its
/// value; see `Deferred.retrying(backoff:until:shouldRetry:tolerance:clock:_:)`.
///
/// ```swift
/// let deadline = ContinuousClock.now.advanced(by: .seconds(30))
/// let user = try await withRetry(until: deadline) { try await api.user(id) }
/// ```
@available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
public func withRetry<Value: Sendable, Delays: Sequence<Duration>, C: Clock<Duration>>(
    backoff: Delays = DeferredBackoff.exponential(), until deadline: C.Instant,
    shouldRetry: @escaping @Sendable (any Error, Int) -> Bool = { error, _ in !(error is CancellationError) },
    tolerance: Duration? = nil, clock: C = ContinuousClock(),
    file: StaticString = #fileID, line: UInt = #line,
    operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await Deferred<Value>.retrying(
        backoff: backoff, until: deadline, shouldRetry: shouldRetry, tolerance: tolerance, clock: clock,
        file: file, line: line, operation
    ).value
}
