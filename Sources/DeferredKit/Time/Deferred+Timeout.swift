import Synchronization

// MARK: - DeferredTimeoutError

/// The error of a Deferred returned by `timeout(after:clock:)` whose source did not complete in time.
///
/// ```swift
/// catch let error as DeferredTimeoutError { print("gave up after \(error.duration)") }
/// ```
public struct DeferredTimeoutError: Error, CustomStringConvertible {
    /// How long the source was given.
    public let duration: Duration
    /// Where `timeout` was called.
    public let site: CallSite

    public var description: String { "DeferredTimeoutError: no result within \(duration) (timeout set at \(site))" }
}

// MARK: - Timing out

extension Deferred {
    /// A new Deferred with this one's result if it arrives within `delay` on `clock`, and otherwise
    /// rejected with `DeferredTimeoutError`.
    ///
    /// - A result before the deadline is passed on and the timer is cancelled: nothing fires later.
    /// - At the deadline the new Deferred withdraws from this one: if nobody else wants it, it is
    ///   cancelled, and if its canceller supplies a value or an error, that result wins over the timeout.
    /// - `cancel()` on the new Deferred before the deadline cancels the timer and withdraws as well;
    ///   the result is then `CancellationError`, not a timeout.
    ///
    /// A step chained after a timeout receives the timeout error as its input:
    ///
    /// ```swift
    /// let report = fetchReport().timeout(after: .seconds(10))
    ///     .recover { error in error is DeferredTimeoutError ? .placeholder : .failed(error) }
    /// ```
    public func timeout(
        after delay: Duration, clock: some Clock<Duration> = ContinuousClock(),
        file: StaticString = #fileID, line: UInt = #line
    ) -> Deferred<Value> {
        let site = CallSite(file, line)
        let timer = LibraryTimer()
        let timedOut = Atomic<Bool>(false)
        // The source is held weakly: its producer keeps it alive, not the timeout.
        let output = Deferred<Value>(file: file, line: line, canceller: { [weak self] output in
            timer.cancel()
            // An observer removed here is dropped: `output` is then rejected with CancellationError.
            self?.withdrawDependent(output.dependentID)
        })
        addDependent(output.dependentID) { result in
            timer.cancel()
            if case .failure(let error) = result, error is CancellationError, timedOut.load(ordering: .acquiring) {
                // The source was cancelled by our withdrawal and its canceller supplied nothing.
                output.settle(.failure(DeferredTimeoutError(duration: delay, site: site)))
            } else {
                output.settle(result)
            }
        }
        timer.start(on: clock, after: delay) { [weak self] in
            timedOut.store(true, ordering: .releasing)
            guard let source = self else {
                output.settle(.failure(DeferredTimeoutError(duration: delay, site: site)))
                return
            }
            source.withdrawDependent(output.dependentID) { _ in
                // Our observer was removed without running: the source goes on (for others) or was
                // cancelled without a result of its own.
                output.settle(.failure(DeferredTimeoutError(duration: delay, site: site)))
            }
        }
        return output
    }
}
