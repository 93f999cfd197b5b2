// MARK: - Sleeping

extension Deferred where Value == Void {
    /// A Deferred that resolves after `delay` on `clock` — a timer you can chain, share and cancel.
    ///
    /// Cancelling it before the deadline cancels the timer and rejects it with `CancellationError`.
    /// A delay of zero or less resolves at once. On a `ManualClock` it resolves inside the
    /// `advance(by:)` call that reaches the deadline; on another clock, on the clock's timer task.
    ///
    /// ```swift
    /// Deferred.sleep(for: .seconds(2)).whenComplete { _ in print("two seconds later") }
    /// ```
    ///
    /// `tolerance` is how late the timer may fire, as for `Clock.sleep(for:tolerance:)`.
    public static func sleep(
        for delay: Duration, tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Void> {
        let timer = LibraryTimer()
        let sleep = Deferred<Void>(owned: DeferredCallSite(file, line), canceller: { _ in timer.cancel() })
        timer.start(on: clock, after: delay, tolerance: tolerance) { sleep.completeAsOwner(.success(())) }
        return sleep
    }

    /// A Deferred that resolves at `deadline` on `clock`; see `sleep(for:tolerance:clock:)`. A deadline
    /// that has passed resolves at once.
    ///
    /// ```swift
    /// let start = clock.now
    /// Deferred.sleep(until: start.advanced(by: .seconds(5)), clock: clock)
    /// ```
    public static func sleep<C: Clock>(
        until deadline: C.Instant, tolerance: C.Duration? = nil, clock: C = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Void> {
        let timer = LibraryTimer()
        let sleep = Deferred<Void>(owned: DeferredCallSite(file, line), canceller: { _ in timer.cancel() })
        timer.start(on: clock, at: deadline, tolerance: tolerance) { sleep.completeAsOwner(.success(())) }
        return sleep
    }
}

// MARK: - Delaying

extension Deferred {
    /// Runs `body` after `delay` on `clock` and completes with what it returns or throws — Twisted's
    /// `deferLater`.
    ///
    /// Cancelling the result before the deadline cancels the timer: `body` never runs and the result is
    /// rejected with `CancellationError`. `body` runs on the thread that fires the timer (inside
    /// `advance(by:)` on a `ManualClock`).
    ///
    /// ```swift
    /// let reminder = Deferred.delayed(by: .minutes(5)) { "stand up" }
    /// ```
    public static func delayed(
        by delay: Duration, tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () throws -> Value
    ) -> Deferred<Value> {
        Deferred<Void>.sleep(for: delay, tolerance: tolerance, clock: clock, file: file, line: line)
            .map(file: file, line: line) { _ in try body() }
    }

    /// Runs `body` at `deadline` on `clock`; see `delayed(by:tolerance:clock:_:)`.
    ///
    /// ```swift
    /// let report = Deferred.delayed(until: midnight, clock: clock) { summary() }
    /// ```
    public static func delayed<C: Clock>(
        until deadline: C.Instant, tolerance: C.Duration? = nil, clock: C = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () throws -> Value
    ) -> Deferred<Value> {
        Deferred<Void>.sleep(until: deadline, tolerance: tolerance, clock: clock, file: file, line: line)
            .map(file: file, line: line) { _ in try body() }
    }

    /// Calls `body` after `delay` on `clock` and completes like the Deferred it returns.
    ///
    /// Cancelling the result cancels the timer, or, once `body` has run, withdraws from its Deferred.
    ///
    /// ```swift
    /// let retry = Deferred<Data>.delayed(by: .seconds(1)) { fetch(url) }
    /// ```
    public static func delayed(
        by delay: Duration, tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () throws -> Deferred<Value>
    ) -> Deferred<Value> {
        Deferred<Void>.sleep(for: delay, tolerance: tolerance, clock: clock, file: file, line: line)
            .flatMap(file: file, line: line) { _ in try body() }
    }

    /// Calls `body` at `deadline` on `clock` and completes like the Deferred it returns; see
    /// `delayed(by:tolerance:clock:_:)`.
    ///
    /// ```swift
    /// let nightly = Deferred<Data>.delayed(until: midnight, clock: clock) { fetch(url) }
    /// ```
    public static func delayed<C: Clock>(
        until deadline: C.Instant, tolerance: C.Duration? = nil, clock: C = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line,
        _ body: @escaping @Sendable () throws -> Deferred<Value>
    ) -> Deferred<Value> {
        Deferred<Void>.sleep(until: deadline, tolerance: tolerance, clock: clock, file: file, line: line)
            .flatMap(file: file, line: line) { _ in try body() }
    }
}
