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

// MARK: - RetryRun

/// The state of one `retrying` call. Tries never overlap: each starts after the previous one failed.
final class RetryRun<Value: Sendable, C: Clock<Duration>>: @unchecked Sendable {
    let output: Deferred<Value>
    private let clock: C
    private let tolerance: Duration?
    private let shouldRetry: @Sendable (any Error, Int) -> Bool
    private let operation: @Sendable () -> Deferred<Value>

    private let lock = InternalLock()
    // Guarded by `lock`. `iterator` is taken out while `next()` runs (user code never runs under the lock).
    private var iterator: AnyIterator<Duration>?
    private var failures = FailureLog()
    private var cancelled = false
    private var timer: LibraryTimer?
    private var attempt: Deferred<Value>?
    /// A loop in `runTries` is on the stack: a try that must start at once is left to it (no recursion).
    private var looping = false
    private var startAgain = false

    init(
        iterator: AnyIterator<Duration>, clock: C, tolerance: Duration?, shouldRetry: @escaping @Sendable (any Error, Int) -> Bool,
        operation: @escaping @Sendable () -> Deferred<Value>, file: StaticString, line: UInt
    ) {
        self.iterator = iterator
        self.clock = clock
        self.tolerance = tolerance
        self.shouldRetry = shouldRetry
        self.operation = operation
        let hook = CancelHook()
        output = Deferred<Value>(file: file, line: line, canceller: { _ in hook.run() })
        // The cycle output → canceller → run → output ends when the output completes.
        hook.set { [self] in cancel() }
    }

    /// Takes the next delay; rejects the output when the backoff is exhausted.
    func scheduleNextTry() {
        var taken = lock.withLock { iterator.take() }
        let delay = taken?.next()
        lock.withLock { iterator = taken }
        taken = nil
        guard let delay else {
            let failures = lock.withLock { self.failures }
            output.settle(.failure(failures.exhaustedError))
            return
        }
        if delay <= .zero {
            startTry()
            return
        }
        let timer = LibraryTimer()
        let (proceed, _) = lock.withLock { () -> (Bool, LibraryTimer?) in
            if cancelled { return (false, nil) }
            defer { self.timer = timer }
            return (true, self.timer.take())   // released after unlocking
        }
        guard proceed else { return }
        timer.start(on: clock, after: delay, tolerance: tolerance) { [self] in startTry() }
    }

    /// Starts a try now, or leaves it to the loop already running on this stack.
    private func startTry() {
        let runHere = lock.withLock { () -> Bool in
            if looping {
                startAgain = true
                return false
            }
            looping = true
            return true
        }
        guard runHere else { return }
        while true {
            runOneTry()
            let again = lock.withLock { () -> Bool in
                if startAgain {
                    startAgain = false
                    return true
                }
                looping = false
                return false
            }
            if !again { return }
        }
    }

    private func runOneTry() {
        // The fired timer is handed out and released after unlocking, like everything a lock hold removes.
        let (go, _) = lock.withLock { () -> (Bool, LibraryTimer?) in (!cancelled, timer.take()) }
        guard go else { return }
        let attempt = operation()
        let number = lock.withLock { () -> Int in
            self.attempt = attempt
            return failures.count + 1
        }
        attempt.addDependent(output.dependentID) { [self] result in
            finishTry(number, with: result)
        }
        // A cancellation that raced with the start of this try must still reach it.
        if lock.withLock({ cancelled }) {
            attempt.withdrawDependent(output.dependentID)
        }
    }

    private func finishTry(_ number: Int, with result: Result<Value, any Error>) {
        // The finished attempt and an error that left the window are released after unlocking.
        let (wasCancelled, _, _) = lock.withLock { () -> (Bool, Deferred<Value>?, (any Error)?) in
            var dropped: (any Error)?
            if case .failure(let error) = result { dropped = failures.append(error) }
            return (cancelled, attempt.take(), dropped)
        }
        switch result {
        case .success:
            output.settle(result)
        case .failure(let error):
            if wasCancelled || !shouldRetry(error, number) {
                output.settle(result)
            } else {
                scheduleNextTry()
            }
        }
    }

    /// The output's canceller: no further try; the pending delay is cancelled, the try in flight withdrawn from.
    private func cancel() {
        let (timer, attempt) = lock.withLock { () -> (LibraryTimer?, Deferred<Value>?) in
            cancelled = true
            return (self.timer, self.attempt)
        }
        timer?.cancel()
        attempt?.withdrawDependent(output.dependentID)
    }
}

// MARK: - CancelHook

/// A canceller set after the Deferred it belongs to exists (the Deferred's owner needs the Deferred first).
final class CancelHook: @unchecked Sendable {
    private let lock = InternalLock()
    private var action: (@Sendable () -> Void)?  // guarded by `lock`

    func set(_ action: @escaping @Sendable () -> Void) {
        lock.withLock { self.action = action }
    }

    func run() {
        let action = lock.withLock { self.action.take() }
        action?()
    }
}

// MARK: - FailureLog

/// The errors of a retry run's failed tries: the first, and the last `recentErrorLimit`.
struct FailureLog {
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
