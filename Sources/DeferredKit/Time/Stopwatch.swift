// MARK: - Stopwatch

/// The time elapsed since it was created, read on a clock: what `DeferredJobQueue` uses its clock for.
@usableFromInline
struct Stopwatch: Sendable {
    @usableFromInline let read: @Sendable () -> Duration

    /// A stopwatch started now on `clock`.
    init<C: Clock<Duration>>(clock: C) {
        let start = clock.now
        read = { start.duration(to: clock.now) }
    }

    /// The time since the stopwatch started. Reads the clock: call it outside every lock.
    @inlinable
    var elapsed: Duration { read() }
}
