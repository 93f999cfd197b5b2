// MARK: - TimerScheduling

/// Something that runs a library timer when its deadline comes.
///
/// `ManualClock` adopts it, so that every timer DeferredKit schedules on it has fired by the time
/// `advance(by:)` returns. The standard clocks and every `Hashable` clock get a `ClockTimerScheduler`:
/// one task per clock that sleeps until the earliest deadline. Any other clock gets one sleeping `Task`
/// per timer.
protocol TimerScheduling<Instant>: Sendable {
    associatedtype Instant: InstantProtocol

    /// Runs `action` once, at `deadline`; returns a function that cancels it if it has not run.
    func scheduleTimer(
        at deadline: Instant, tolerance: Instant.Duration?, _ action: @escaping @Sendable () -> Void
    ) -> @Sendable () -> Void
}

// MARK: - LibraryTimer

/// One timer the library schedules on a clock: fires at most once, never after `cancel()`.
///
/// The timer is created first and started afterwards, so that a canceller built before the timer
/// exists (a Deferred's canceller) can refer to it.
final class LibraryTimer: Sendable {
    private enum State: Sendable {
        case idle
        case scheduled(cancel: @Sendable () -> Void)
        case fired
        case cancelled
    }

    private let state = LockedState(State.idle)

    init() {}

    /// Schedules `action` on `clock` at `deadline`. A deadline that has passed fires at once, in the caller.
    func start<C: Clock>(
        on clock: C, at deadline: C.Instant, tolerance: C.Duration? = nil, _ action: @escaping @Sendable () -> Void
    ) {
        let fire: @Sendable () -> Void = { [self] in
            if claimFiring() { action() }
        }
        let cancelSchedule: @Sendable () -> Void
        if let scheduler = clock as? any TimerScheduling<C.Instant> {
            cancelSchedule = scheduler.scheduleTimer(at: deadline, tolerance: tolerance, fire)
        } else if deadline <= clock.now {
            fire()
            return
        } else if let scheduler = ClockTimerScheduler.shared(for: clock) {
            cancelSchedule = scheduler.scheduleTimer(at: deadline, tolerance: tolerance, fire)
        } else {
            let task = Task {
                do {
                    try await clock.sleep(until: deadline, tolerance: tolerance)
                } catch {
                    return
                }
                fire()
            }
            cancelSchedule = { task.cancel() }
        }
        let cancelNow = state.withLock { state -> Bool in
            switch state {
            case .idle:
                state = .scheduled(cancel: cancelSchedule)
                return false
            case .cancelled:
                return true
            case .scheduled, .fired:
                return false
            }
        }
        if cancelNow { cancelSchedule() }
    }

    /// Schedules `action` on `clock` after `delay`. A delay of zero or less fires at once, in the caller.
    func start<C: Clock<Duration>>(
        on clock: C, after delay: Duration, tolerance: Duration? = nil, _ action: @escaping @Sendable () -> Void
    ) {
        if delay <= .zero {
            if claimFiring() { action() }
            return
        }
        start(on: clock, at: clock.now.advanced(by: delay), tolerance: tolerance, action)
    }

    /// Cancels the timer; its action will not run. Does nothing once it has fired.
    func cancel() {
        let cancelSchedule = state.withLock { state -> (@Sendable () -> Void)? in
            switch state {
            case .idle:
                state = .cancelled
                return nil
            case .scheduled(let cancel):
                state = .cancelled
                return cancel
            case .fired, .cancelled:
                return nil
            }
        }
        cancelSchedule?()
    }

    /// Whether the timer has been cancelled.
    var isCancelled: Bool {
        state.withLock {
            if case .cancelled = $0 { return true }
            return false
        }
    }

    private func claimFiring() -> Bool {
        // The schedule's cancel action is handed out and released after unlocking.
        let (claimed, _) = state.withLock { state -> (Bool, State?) in
            switch state {
            case .idle, .scheduled:
                defer { state = .fired }
                return (true, state)
            case .fired, .cancelled:
                return (false, nil)
            }
        }
        return claimed
    }
}
