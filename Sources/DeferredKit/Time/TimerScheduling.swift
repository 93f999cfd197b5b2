// MARK: - TimerScheduling

/// A clock that can run a library timer synchronously when its deadline comes.
///
/// `ManualClock` adopts it, so that every timer DeferredKit schedules on it has fired by the time
/// `advance(by:)` returns. Any other clock gets a `Task` that sleeps on the clock and then fires.
protocol TimerScheduling: Sendable {
    /// Runs `action` once, `delay` from now; returns a function that cancels it if it has not run.
    func scheduleTimer(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> @Sendable () -> Void
}

// MARK: - LibraryTimer

/// One timer the library schedules on a clock: fires at most once, never after `cancel()`.
///
/// The timer is created first and started afterwards, so that a canceller built before the timer
/// exists (a Deferred's canceller) can refer to it.
final class LibraryTimer: @unchecked Sendable {
    private enum State {
        case idle
        case scheduled(cancel: @Sendable () -> Void)
        case fired
        case cancelled
    }

    private let lock = InternalLock()
    private var state = State.idle  // guarded by `lock`

    init() {}

    /// Schedules `action` on `clock` after `delay`. A delay of zero or less fires at once, in the caller.
    func start<C: Clock<Duration>>(on clock: C, after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        if delay <= .zero {
            if claimFiring() { action() }
            return
        }
        let fire: @Sendable () -> Void = { [self] in
            if claimFiring() { action() }
        }
        let cancelSchedule: @Sendable () -> Void
        if let scheduler = clock as? any TimerScheduling {
            cancelSchedule = scheduler.scheduleTimer(after: delay, fire)
        } else {
            let task = Task {
                do {
                    try await clock.sleep(for: delay)
                } catch {
                    return
                }
                fire()
            }
            cancelSchedule = { task.cancel() }
        }
        let cancelNow = lock.withLock { () -> Bool in
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

    /// Cancels the timer; its action will not run. Does nothing once it has fired.
    func cancel() {
        let cancelSchedule = lock.withLock { () -> (@Sendable () -> Void)? in
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
        lock.withLock {
            if case .cancelled = state { return true }
            return false
        }
    }

    private func claimFiring() -> Bool {
        // The schedule's cancel action is handed out and released after unlocking.
        let (claimed, _) = lock.withLock { () -> (Bool, State?) in
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
