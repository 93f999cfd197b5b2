import Synchronization

// MARK: - DeferredTimeoutError

/// The error of a Deferred returned by `timeout(after:tolerance:clock:)` or `timeout(at:tolerance:clock:)`
/// whose source did not complete in time (and, cancelled, finally gave `CancellationError`).
///
/// ```swift
/// catch let error as DeferredTimeoutError { print("gave up after \(error.duration)") }
/// ```
public struct DeferredTimeoutError: Error, Equatable, CustomStringConvertible {
    /// How long the source was given.
    public var duration: Duration
    /// Where `timeout` was called.
    public var site: DeferredCallSite

    /// An error for a source that was given `duration`, by the `timeout` call at `site`.
    public init(duration: Duration, site: DeferredCallSite) {
        self.duration = duration
        self.site = site
    }

    /// A one-line description for logs and debugging.
    public var description: String { "DeferredTimeoutError: no result within \(duration) (timeout set at \(site))" }
}

// MARK: - Timing out

extension Deferred {
    /// A new Deferred with this one's result if it arrives within `delay` on `clock`, and otherwise
    /// rejected with `DeferredTimeoutError`.
    ///
    /// - A result before the deadline is passed on and the timer is cancelled: nothing fires later.
    /// - At the deadline the new Deferred withdraws from this one. If others still want this one, it goes
    ///   on for them and the new Deferred is rejected with `DeferredTimeoutError` at once. Otherwise this
    ///   one is cancelled and the new Deferred waits for its *final* result: `CancellationError` becomes
    ///   `DeferredTimeoutError`; anything else passes through — a canceller's value or error, a `recover`
    ///   placed before the timeout, or what a task body returns after catching the cancellation.
    /// - `cancel()` on the new Deferred before the deadline cancels the timer and withdraws as well; a
    ///   `CancellationError` is then passed on as it is, not as a timeout.
    /// - The timeout holds this Deferred weakly: its producer keeps it alive, not the timeout.
    ///
    /// A step chained after a timeout receives the timeout error as its input:
    ///
    /// ```swift
    /// let report = fetchReport().timeout(after: .seconds(10))
    ///     .recover { error in error is DeferredTimeoutError ? .placeholder : .failed(error) }
    /// ```
    ///
    /// `tolerance` is how late the timer may fire, as for `Clock.sleep(for:tolerance:)`.
    public func timeout(
        after delay: Duration, tolerance: Duration? = nil, clock: some Clock<Duration> = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Value> {
        timeout(
            duration: delay, clock: clock, site: DeferredCallSite(file, line), file: file, line: line
        ) { timer, fire in timer.start(on: clock, after: delay, tolerance: tolerance, fire) }
    }

    /// A new Deferred with this one's result if it arrives by `deadline` on `clock`, and otherwise
    /// rejected with `DeferredTimeoutError` (whose `duration` is the time from the call to the
    /// deadline); see `timeout(after:tolerance:clock:)` for the rules.
    ///
    /// ```swift
    /// let deadline = ContinuousClock.now.advanced(by: .seconds(30))
    /// let both = (first.timeout(at: deadline), second.timeout(at: deadline))
    /// ```
    public func timeout<C: Clock<Duration>>(
        at deadline: C.Instant, tolerance: Duration? = nil, clock: C = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Value> {
        let duration = clock.now.duration(to: deadline)
        return timeout(
            duration: duration, clock: clock, site: DeferredCallSite(file, line), file: file, line: line
        ) { timer, fire in timer.start(on: clock, at: deadline, tolerance: tolerance, fire) }
    }

    /// The timeout machinery: `start` starts `timer` with the action to run at the deadline.
    private func timeout<C: Clock>(
        duration: Duration, clock: C, site: DeferredCallSite, file: StaticString, line: UInt,
        start: (LibraryTimer, @escaping @Sendable () -> Void) -> Void
    ) -> Deferred<Value> {
        let timer = LibraryTimer()
        let timedOut = Atomic<Bool>(false)
        // The source is held weakly: its producer keeps it alive, not the timeout.
        // Owned, and completed after a cancellation from the source's final result (or at once with
        // CancellationError when others still want the source).
        let output = Deferred<Value>(owned: site, completesAfterCancel: true, canceller: { [weak self] output in
            timer.cancel()
            guard let source = self else {
                output.completeAsOwner(.failure(CancellationError()))
                return
            }
            source.withdrawDependent(output.dependentID) { _ in
                // Others still want the source: it goes on for them.
                output.completeAsOwner(.failure(CancellationError()))
            }
        })
        addDependent(output.dependentID) { result in
            timer.cancel()
            if case .failure(let error) = result, error is CancellationError, timedOut.load(ordering: .acquiring) {
                // The source was cancelled by our withdrawal and its final result is the cancellation itself.
                output.completeAsOwner(.failure(DeferredTimeoutError(duration: duration, site: site)))
            } else {
                output.completeAsOwner(result)
            }
        }
        start(timer) { [weak self] in
            timedOut.store(true, ordering: .releasing)
            guard let source = self else {
                output.completeAsOwner(.failure(DeferredTimeoutError(duration: duration, site: site)))
                return
            }
            source.withdrawDependent(output.dependentID) { _ in
                // Our observer was removed without running: the source goes on for others.
                output.completeAsOwner(.failure(DeferredTimeoutError(duration: duration, site: site)))
            }
        }
        return output
    }
}
