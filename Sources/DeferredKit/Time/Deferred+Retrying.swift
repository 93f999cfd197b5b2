// MARK: - RetriesExhaustedError

/// The error of `Deferred.retrying` when every try allowed by the backoff has failed.
///
/// It carries the first failure, as RetryingCall does, and the errors of the last tries, at most
/// `recentErrorLimit` (32) of them, so that an endless backoff does not grow without bound.
///
/// ```swift
/// catch let error as RetriesExhaustedError { log(error.firstError, error.attemptCount) }
/// ```
public struct RetriesExhaustedError: Error, CustomStringConvertible {
    /// How many errors of the last tries are kept in `recentErrors`: 32.
    public static let recentErrorLimit = 32

    /// How many tries were made (and failed); 0 when the backoff allowed none.
    public var attemptCount: Int
    /// The first try's error; `nil` when the backoff allowed no try.
    public var firstError: (any Error)?
    /// The errors of the last tries, oldest first: every error when there were at most
    /// `recentErrorLimit` tries, otherwise the last `recentErrorLimit`.
    public var recentErrors: [any Error]

    /// An error for `attemptCount` failed tries.
    public init(attemptCount: Int, firstError: (any Error)?, recentErrors: [any Error]) {
        self.attemptCount = attemptCount
        self.firstError = firstError
        self.recentErrors = recentErrors
    }

    /// A one-line description for logs and debugging.
    public var description: String {
        guard let firstError else { return "RetriesExhaustedError: the backoff allowed no attempt" }
        return "RetriesExhaustedError: \(attemptCount) attempt(s) failed; the first with \(firstError)"
    }
}

// MARK: - Retrying

extension Deferred {
    /// Calls `operation` until it succeeds, waiting before each try for the next delay of `backoff`.
    ///
    /// - `backoff` is any sequence of delays; its number of elements is the number of tries (the default,
    ///   `DeferredBackoff.exponential()`, tries at once and then after 0.01, 0.02, … 2.56 s: ten tries).
    /// - `shouldRetry(error, attempt)` (attempt counts from 1) decides whether an error is transient; when
    ///   it returns `false` the result is rejected with that error. By default every error except
    ///   `CancellationError` is retried.
    /// - When the tries run out, the result is rejected with `RetriesExhaustedError`, which carries the
    ///   first failure and the errors of the last 32 tries.
    /// - `cancel()` stops retrying: a pending delay is cancelled, and the attempt in flight is withdrawn
    ///   from (and so cancelled, unless someone else wants it).
    ///
    /// The first try runs at once, in the caller, when the first delay is zero. `tolerance` is how late
    /// each delay may end, as for `Clock.sleep(for:tolerance:)`.
    ///
    /// ```swift
    /// let page = Deferred.retrying(shouldRetry: { error, _ in error is GatewayTimeout }) { fetch(url) }
    /// ```
    public static func retrying<Delays: Sequence<Duration>>(
        backoff: Delays = DeferredBackoff.exponential(),
        shouldRetry: @escaping @Sendable (any Error, Int) -> Bool = { error, _ in !(error is CancellationError) },
        tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ operation: @escaping @Sendable () -> Deferred<Value>
    ) -> Deferred<Value> {
        let run = RetryRun(
            iterator: AnyIterator(backoff.makeIterator()), clock: clock, tolerance: tolerance, shouldRetry: shouldRetry,
            operation: operation, file: file, line: line)
        run.scheduleNextTry()
        return run.output
    }

    /// Runs the async `operation` until it succeeds, waiting before each try for the next delay of
    /// `backoff`; see `retrying(backoff:shouldRetry:tolerance:clock:_:)` for the rules. Cancelling the result
    /// cancels the task of the attempt in flight.
    ///
    /// ```swift
    /// let user = Deferred.retrying(backoff: [.zero, .seconds(1)]) { try await api.user(id) }
    /// ```
    @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
    public static func retrying<Delays: Sequence<Duration>>(
        backoff: Delays = DeferredBackoff.exponential(),
        shouldRetry: @escaping @Sendable (any Error, Int) -> Bool = { error, _ in !(error is CancellationError) },
        tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ operation: @escaping @Sendable () async throws -> Value
    ) -> Deferred<Value> {
        retrying(backoff: backoff, shouldRetry: shouldRetry, tolerance: tolerance, clock: clock, file: file, line: line) {
            Deferred(file: file, line: line) { try await operation() }
        }
    }
}

// MARK: - Retrying until a deadline

extension Deferred {
    /// Calls `operation` until it succeeds, as `retrying(backoff:shouldRetry:tolerance:clock:_:)` does,
    /// but starts no try after `deadline` on `clock`: when the next delay would end after it, the result
    /// is rejected with `RetriesExhaustedError`. A try that is running at the deadline is not cut short
    /// (add `timeout(at:)` for that).
    ///
    /// ```swift
    /// let deadline = ContinuousClock.now.advanced(by: .seconds(30))
    /// let page = Deferred.retrying(until: deadline) { fetch(url) }
    /// ```
    public static func retrying<Delays: Sequence<Duration>, C: Clock<Duration>>(
        backoff: Delays = DeferredBackoff.exponential(), until deadline: C.Instant,
        shouldRetry: @escaping @Sendable (any Error, Int) -> Bool = { error, _ in !(error is CancellationError) },
        tolerance: Duration? = nil, clock: C = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ operation: @escaping @Sendable () -> Deferred<Value>
    ) -> Deferred<Value> {
        retrying(
            backoff: DelaysUntilDeadline(base: backoff, deadline: deadline, clock: clock), shouldRetry: shouldRetry,
            tolerance: tolerance, clock: clock, file: file, line: line, operation)
    }

    /// Runs the async `operation` until it succeeds, starting no try after `deadline`; see
    /// `retrying(backoff:until:shouldRetry:tolerance:clock:_:)`.
    ///
    /// ```swift
    /// let user = Deferred.retrying(until: deadline) { try await api.user(id) }
    /// ```
    @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)
    public static func retrying<Delays: Sequence<Duration>, C: Clock<Duration>>(
        backoff: Delays = DeferredBackoff.exponential(), until deadline: C.Instant,
        shouldRetry: @escaping @Sendable (any Error, Int) -> Bool = { error, _ in !(error is CancellationError) },
        tolerance: Duration? = nil, clock: C = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ operation: @escaping @Sendable () async throws -> Value
    ) -> Deferred<Value> {
        retrying(
            backoff: DelaysUntilDeadline(base: backoff, deadline: deadline, clock: clock), shouldRetry: shouldRetry,
            tolerance: tolerance, clock: clock, file: file, line: line, operation)
    }
}

/// The delays of `base` while the try they lead to would start by `deadline` on `clock` (the clock is
/// read when each delay is taken, that is after the previous try failed).
struct DelaysUntilDeadline<Base: Sequence<Duration>, C: Clock<Duration>>: Sequence {
    let base: Base
    let deadline: C.Instant
    let clock: C

    struct Iterator: IteratorProtocol {
        var base: Base.Iterator
        let deadline: C.Instant
        let clock: C
        var ended = false

        mutating func next() -> Duration? {
            guard !ended, let delay = base.next(), clock.now.advanced(by: delay) <= deadline else {
                ended = true
                return nil
            }
            return delay
        }
    }

    func makeIterator() -> Iterator { Iterator(base: base.makeIterator(), deadline: deadline, clock: clock) }
}

// MARK: - RetryRun

/// The state of one `retrying` call. Tries never overlap: each starts after the previous one failed.
///
/// Cancellation is cooperative: `cancel()` stops retrying, cancels a pending delay, and withdraws from
/// the try in flight; the output then completes with that try's *final* result (if the withdrawal
/// cancelled it), or with `CancellationError` (no try in flight, or others still want it).
final class RetryRun<Value: Sendable, C: Clock<Duration>>: Sendable {
    /// The backoff's iterator. Not `Sendable` in general, but only ever used by the one caller that has
    /// taken it out of the locked state (user code never runs under the lock).
    private struct Delays: @unchecked Sendable {
        var iterator: AnyIterator<Duration>
    }

    private struct State: Sendable {
        var delays: Delays?
        var failures = FailureLog()
        var cancelled = false
        var timer: LibraryTimer?
        var attempt: Deferred<Value>?
        /// A loop in `startTry` is on the stack: a try that must start at once is left to it (no recursion).
        var looping = false
        var startAgain = false
    }

    let output: Deferred<Value>
    private let clock: C
    private let tolerance: Duration?
    private let shouldRetry: @Sendable (any Error, Int) -> Bool
    private let operation: @Sendable () -> Deferred<Value>
    private let state: LockedState<State>

    init(
        iterator: AnyIterator<Duration>, clock: C, tolerance: Duration?,
        shouldRetry: @escaping @Sendable (any Error, Int) -> Bool,
        operation: @escaping @Sendable () -> Deferred<Value>, file: StaticString, line: UInt
    ) {
        state = LockedState(State(delays: Delays(iterator: iterator)))
        self.clock = clock
        self.tolerance = tolerance
        self.shouldRetry = shouldRetry
        self.operation = operation
        let hook = CancelHook()
        output = Deferred<Value>(owned: DeferredCallSite(file, line), completesAfterCancel: true, canceller: { _ in hook.run() })
        // The cycle output → canceller → run → output ends when the output completes.
        hook.set { [self] in cancel() }
    }

    /// Takes the next delay; rejects the output when the backoff is exhausted.
    func scheduleNextTry() {
        var taken = state.withLock { $0.delays.take() }
        let delay = taken?.iterator.next()
        state.withLock { $0.delays = taken }
        taken = nil
        guard let delay else {
            let failures = state.withLock { $0.failures }
            output.completeAsOwner(.failure(failures.exhaustedError))
            return
        }
        if delay <= .zero {
            startTry()
            return
        }
        let timer = LibraryTimer()
        let (proceed, _) = state.withLock { state -> (Bool, LibraryTimer?) in
            if state.cancelled { return (false, nil) }
            defer { state.timer = timer }
            return (true, state.timer.take())   // released after unlocking
        }
        guard proceed else { return }
        timer.start(on: clock, after: delay, tolerance: tolerance) { [self] in startTry() }
    }

    /// Starts a try now, or leaves it to the loop already running on this stack.
    private func startTry() {
        let runHere = state.withLock { state -> Bool in
            if state.looping {
                state.startAgain = true
                return false
            }
            state.looping = true
            return true
        }
        guard runHere else { return }
        while true {
            runOneTry()
            let again = state.withLock { state -> Bool in
                if state.startAgain {
                    state.startAgain = false
                    return true
                }
                state.looping = false
                return false
            }
            if !again { return }
        }
    }

    private func runOneTry() {
        // The fired timer is handed out and released after unlocking, like everything a lock hold removes.
        let (go, _) = state.withLock { state -> (Bool, LibraryTimer?) in (!state.cancelled, state.timer.take()) }
        guard go else { return }
        let attempt = operation()
        let number = state.withLock { state -> Int in
            state.attempt = attempt
            return state.failures.count + 1
        }
        attempt.addDependent(output.dependentID) { [self] result in
            finishTry(number, with: result)
        }
        // A cancellation that raced with the start of this try must still reach it.
        if state.withLock({ $0.cancelled }) {
            withdraw(from: attempt)
        }
    }

    private func finishTry(_ number: Int, with result: Result<Value, any Error>) {
        // The finished attempt and an error that left the window are released after unlocking.
        let (wasCancelled, _, _) = state.withLock { state -> (Bool, Deferred<Value>?, (any Error)?) in
            var dropped: (any Error)?
            if case .failure(let error) = result { dropped = state.failures.append(error) }
            return (state.cancelled, state.attempt.take(), dropped)
        }
        switch result {
        case .success:
            output.completeAsOwner(result)
        case .failure(let error):
            // After a cancellation the try's final result is the output's, whatever it is.
            if wasCancelled || !shouldRetry(error, number) {
                output.completeAsOwner(result)
            } else {
                scheduleNextTry()
            }
        }
    }

    /// The output's canceller: no further try; the pending delay is cancelled, the try in flight
    /// withdrawn from. With no try in flight the output is rejected with `CancellationError` at once.
    private func cancel() {
        let (timer, attempt) = state.withLock { state -> (LibraryTimer?, Deferred<Value>?) in
            state.cancelled = true
            return (state.timer, state.attempt)
        }
        timer?.cancel()
        if let attempt {
            withdraw(from: attempt)
        } else {
            output.completeAsOwner(.failure(CancellationError()))
        }
    }

    /// Withdraws from `attempt`: if it was its last dependent it is cancelled and its final result
    /// completes the output; if others still want it, the output is rejected with `CancellationError`.
    private func withdraw(from attempt: Deferred<Value>) {
        attempt.withdrawDependent(output.dependentID) { [output] _ in
            output.completeAsOwner(.failure(CancellationError()))
        }
    }
}

// MARK: - CancelHook

/// A canceller set after the Deferred it belongs to exists (the Deferred's owner needs the Deferred first).
final class CancelHook: Sendable {
    private let action = LockedState<(@Sendable () -> Void)?>(nil)

    func set(_ action: @escaping @Sendable () -> Void) {
        self.action.withLock { $0 = action }
    }

    func run() {
        let action = action.withLock { $0.take() }
        action?()
    }
}

// MARK: - FailureLog

/// The errors of a retry run's failed tries: the first, and the last `recentErrorLimit`.
struct FailureLog: Sendable {
    private(set) var count = 0
    private var first: (any Error)?
    private var recent: [any Error] = []

    /// Records one more failure; returns the error that fell out of the window, to be released by the
    /// caller after unlocking.
    mutating func append(_ error: any Error) -> (any Error)? {
        count += 1
        if first == nil { first = error }
        recent.append(error)
        guard recent.count > RetriesExhaustedError.recentErrorLimit else { return nil }
        return recent.removeFirst()
    }

    /// The error that ends the run when the backoff is exhausted.
    var exhaustedError: RetriesExhaustedError {
        RetriesExhaustedError(attemptCount: count, firstError: first, recentErrors: recent)
    }
}
