// MARK: - ClockTimerScheduler

/// Runs the library's timers on one clock with a single task: the *driver* sleeps until the earliest
/// deadline, runs every timer that is due, and sleeps again; it ends when no timer is left.
///
/// A timer whose deadline is earlier than the one the driver sleeps until replaces the driver (the old
/// one is cancelled and ends when it wakes), so a clock costs one task per *new earliest deadline*, not
/// one per timer: timers with the same delay, scheduled one after another, share one driver. A
/// cancelled timer is removed at once; the driver may then sleep on until its deadline and find nothing
/// to do.
///
/// Timers run on the driver's task, outside every lock, in deadline order (scheduling order for equal
/// deadlines).
final class ClockTimerScheduler<C: Clock>: TimerScheduling, Sendable {
    typealias Instant = C.Instant

    /// A timer's place in line.
    struct Order: Comparable, Sendable {
        let deadline: C.Instant
        let sequence: Int

        static func < (a: Order, b: Order) -> Bool { (a.deadline, a.sequence) < (b.deadline, b.sequence) }
    }

    private struct Timer: Sendable {
        let action: @Sendable () -> Void
        let tolerance: C.Duration?
    }

    private struct State: Sendable {
        var heap = IndexedHeap<Order>()
        var timers: [Int: Timer] = [:]
        var nextID = 0
        /// Whether a driver is running; it will look at the heap again before it sleeps.
        var hasDriver = false
        var driver: Task<Void, Never>?
        var generation: UInt64 = 0
        /// The deadline the driver sleeps until (or has just woken at); `nil` before its first look.
        var target: C.Instant?
        /// How many drivers were started (for tests).
        var driversStarted = 0
    }

    let clock: C
    private let state = LockedState(State())

    init(clock: C) {
        self.clock = clock
    }

    // MARK: Scheduling

    func scheduleTimer(
        at deadline: C.Instant, tolerance: C.Duration?, _ action: @escaping @Sendable () -> Void
    ) -> @Sendable () -> Void {
        let (id, start, replaced) = state.withLock { state -> (Int, UInt64?, Task<Void, Never>?) in
            state.nextID += 1
            let id = state.nextID
            state.heap.push(id, key: Order(deadline: deadline, sequence: id))
            state.timers[id] = Timer(action: action, tolerance: tolerance)
            if state.hasDriver, state.target.map({ deadline >= $0 }) ?? true {
                return (id, nil, nil)   // the driver will see it
            }
            state.generation += 1
            state.hasDriver = true
            state.target = nil
            state.driversStarted += 1
            return (id, state.generation, state.driver.take())
        }
        replaced?.cancel()
        if let generation = start {
            let task = Task { [self] in await drive(generation) }
            state.withLock { state in
                if state.generation == generation, state.hasDriver { state.driver = task }
            }
        }
        return { [weak self] in self?.cancelTimer(id) }
    }

    /// The number of drivers started so far (for tests).
    var driversStarted: Int { state.withLock { $0.driversStarted } }

    /// The number of timers waiting (for tests).
    var scheduledCount: Int { state.withLock { $0.heap.count } }

    // MARK: Internals

    private func cancelTimer(_ id: Int) {
        // The removed action is released after unlocking.
        _ = state.withLock { state -> Timer? in
            state.heap.remove(id)
            return state.timers.removeValue(forKey: id)
        }
    }

    /// The driver's loop: run what is due, then sleep until the next deadline; end when nothing is left
    /// or a newer driver has taken over.
    private func drive(_ generation: UInt64) async {
        while true {
            let now = clock.now
            let (due, next, _) = state.withLock {
                state -> ([@Sendable () -> Void], (C.Instant, C.Duration?)?, Task<Void, Never>?) in
                guard state.generation == generation else { return ([], nil, nil) }
                var due: [@Sendable () -> Void] = []
                while let first = state.heap.first, first.key.deadline <= now {
                    _ = state.heap.popFirst()
                    due.append(state.timers.removeValue(forKey: first.id)!.action)
                }
                guard let first = state.heap.first else {
                    state.hasDriver = false
                    state.target = nil
                    return (due, nil, state.driver.take())   // our own handle, released after unlocking
                }
                state.target = first.key.deadline
                return (due, (first.key.deadline, state.timers[first.id]!.tolerance), nil)
            }
            for action in due { action() }
            guard let (deadline, tolerance) = next else { return }
            do {
                try await clock.sleep(until: deadline, tolerance: tolerance)
            } catch {
                return   // only a newer driver cancels this one
            }
        }
    }
}

// MARK: - Shared schedulers

extension ClockTimerScheduler {
    /// The scheduler of `clock`: one per standard clock, one per distinct value of a `Hashable` clock;
    /// `nil` for any other clock (it gets one task per timer).
    static func shared(for clock: C) -> ClockTimerScheduler<C>? {
        if let scheduler = SharedTimerSchedulers.continuous as? ClockTimerScheduler<C> { return scheduler }
        if let scheduler = SharedTimerSchedulers.suspending as? ClockTimerScheduler<C> { return scheduler }
        guard let hashable = clock as? any Hashable else { return nil }
        let type = ObjectIdentifier(C.self)
        // Clocks are compared outside the lock: `==` is user code.
        let known = SharedTimerSchedulers.byType.withLock { $0[type] ?? [] }
        for case let scheduler as ClockTimerScheduler<C> in known where isEqual(hashable, scheduler.clock) {
            return scheduler
        }
        let scheduler = ClockTimerScheduler(clock: clock)
        // Two threads may both create one for the same clock: each works, they merely share no driver.
        SharedTimerSchedulers.byType.withLock { $0[type, default: []].append(scheduler) }
        return scheduler
    }
}

/// Whether `a` equals `b` (of the same type).
private func isEqual<T: Hashable>(_ a: T, _ b: Any) -> Bool {
    (b as? T) == a
}

/// The schedulers every clock of the process shares.
enum SharedTimerSchedulers {
    static let continuous = ClockTimerScheduler(clock: ContinuousClock())
    static let suspending = ClockTimerScheduler(clock: SuspendingClock())
    /// The schedulers of `Hashable` clocks, by clock type.
    static let byType = LockedState<[ObjectIdentifier: [any Sendable]]>([:])
}
