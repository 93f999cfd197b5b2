// MARK: - withTimeout

/// Runs `operation` and returns its value if it finishes within `duration` on `clock`; otherwise
/// throws `DeferredTimeoutError`.
///
/// It is `Deferred { try await operation() }.timeout(after:tolerance:clock:).value`: at the deadline the
/// operation's task is cancelled, and its *final* outcome decides — a `CancellationError` becomes
/// `DeferredTimeoutError`, while a value or another error (the operation caught the cancellation and
/// finished, or translated it) is returned or thrown as it is. Cancelling the calling task cancels the
/// operation the same way. The operation runs in a task of its own.
///
/// ```swift
/// let page = try await withTimeout(.seconds(5)) { try await fetch(url) }
/// ```
///
/// `tolerance` is how late the timer may fire, as for `Clock.sleep(for:tolerance:)`.
@available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
public func withTimeout<Value: Sendable>(
    _ duration: Duration, tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
    file: StaticString = #fileID, line: UInt = #line,
    operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await Deferred(isolation: nil, file: file, line: line) { try await operation() }
        .timeout(after: duration, tolerance: tolerance, clock: clock, file: file, line: line)
        .value
}

/// Runs `operation` and returns its value if it finishes by `deadline` on `clock`; otherwise throws
/// `DeferredTimeoutError`. See `withTimeout(_:tolerance:clock:operation:)`.
///
/// ```swift
/// let deadline = ContinuousClock.now.advanced(by: .seconds(30))
/// let user = try await withTimeout(at: deadline) { try await api.user(id) }
/// ```
@available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
public func withTimeout<Value: Sendable, C: Clock<Duration>>(
    at deadline: C.Instant, tolerance: Duration? = nil, clock: C = ContinuousClock(),
    file: StaticString = #fileID, line: UInt = #line,
    operation: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    try await Deferred(isolation: nil, file: file, line: line) { try await operation() }
        .timeout(at: deadline, tolerance: tolerance, clock: clock, file: file, line: line)
        .value
}
