// MARK: - ManualClock

/// A clock whose time moves only when you call `advance(by:)` — for testing time-based code without sleeping.
///
/// - Every timer that DeferredKit itself schedules on the clock (`Deferred.sleep`, `delayed`, `timeout`,
///   `retrying`) and that is due has fired, in deadline order, by the time `advance(by:)` returns, as
///   Twisted's `task.Clock.advance` runs the calls that are due.
/// - Tasks sleeping on the clock (`try await clock.sleep(for:)`) are resumed in deadline order when
///   their deadline passes; they then run on their executor, possibly after `advance(by:)` has returned.
///   `waitForSleepers(_:)` lets a test wait until the code under test has started sleeping.
/// - A cancelled sleeper is woken at once with `CancellationError`.
///
/// ```swift
/// let clock = ManualClock()
/// let ping = Deferred<Void>.sleep(for: .seconds(5), clock: clock)
/// clock.advance(by: .seconds(5))   // ping.isComplete == true
/// ```
public final class ManualClock: Clock, Sendable {
    // MARK: Instant

    /// A point on a `ManualClock`: the time elapsed since the clock was created.
    ///
    /// ```swift
    /// let deadline = clock.now.advanced(by: .seconds(3))
    /// ```
    public struct Instant: InstantProtocol, CustomStringConvertible {
        /// The time since the clock's start.
        public var offset: Duration

        /// The instant `offset` after the clock's start.
        ///
        /// ```swift
        /// let start = ManualClock.Instant(offset: .zero)
        /// ```
        public init(offset: Duration) { self.offset = offset }

        /// The instant `duration` later.
        ///
        /// ```swift
        /// let deadline = clock.now.advanced(by: .seconds(3))
        /// ```
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }

        /// The time from this instant to `other`.
        ///
        /// ```swift
        /// let waited = start.duration(to: clock.now)
        /// ```
        public func duration(to other: Instant) -> Duration { other.offset - offset }

        /// Whether `a` comes before `b`.
        ///
        /// ```swift
        /// if clock.now < deadline { … }
        /// ```
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
        /// The instant as `ManualClock.Instant(offset)`.
        public var description: String { "ManualClock.Instant(\(offset))" }
    }

    private struct Entry: Sendable {
        enum Kind: Sendable {
            case action(@Sendable () -> Void)
            case sleeper(UnsafeContinuation<Void, any Error>)
        }
        let id: UInt64
        let deadline: Instant
        let kind: Kind
    }

    /// The current time, the timers and sleepers sorted by (deadline, id), and the sleeper watchers.
    private struct State: Sendable {
        var current: Instant
        var entries: [Entry] = []
        var nextID: UInt64 = 0
        var sleeperCount = 0
        var sleeperWatchers: [(count: Int, continuation: UnsafeContinuation<Void, Never>)] = []

        mutating func insert(_ entry: Entry) {
            // After every entry with an earlier or equal deadline: equal deadlines fire in scheduling order.
            var low = 0
            var high = entries.count
            while low < high {
                let mid = (low + high) / 2
                if entries[mid].deadline <= entry.deadline { low = mid + 1 } else { high = mid }
            }
            entries.insert(entry, at: low)
        }

        mutating func takeSatisfiedWatchers() -> [UnsafeContinuation<Void, Never>] {
            if sleeperWatchers.isEmpty { return [] }
            var ready: [UnsafeContinuation<Void, Never>] = []
            let count = sleeperCount
            sleeperWatchers.removeAll { watcher in
                guard watcher.count <= count else { return false }
                ready.append(watcher.continuation)
                return true
            }
            return ready
        }
    }

    private let state: LockedState<State>

    // MARK: Creating

    /// A clock that starts at `Instant(offset: .zero)`, or at `start`.
    ///
    /// ```swift
    /// let clock = ManualClock()
    /// ```
    public init(start: Instant = Instant(offset: .zero)) {
        state = LockedState(State(current: start))
    }

    // MARK: Clock

    /// The current time; it changes only in `advance(by:)` and `advance(to:)`.
    ///
    /// ```swift
    /// print(clock.now.offset)   // 0.0 seconds
    /// ```
    public var now: Instant { state.withLock { $0.current } }

    /// Zero: a manual clock is exact.
    ///
    /// ```swift
    /// #expect(clock.minimumResolution == .zero)
    /// ```
    public var minimumResolution: Duration { .zero }

    /// Suspends until `advance` moves the clock to `deadline` or beyond; throws `CancellationError` at
    /// once if the task is cancelled.
    ///
    /// ```swift
    /// try await clock.sleep(until: clock.now.advanced(by: .seconds(1)))
    /// ```
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
                let (due, watchers) = state.withLock { state -> (Bool, [UnsafeContinuation<Void, Never>]) in
                    if deadline <= state.current { return (true, []) }
                    state.insert(Entry(id: id, deadline: deadline, kind: .sleeper(continuation)))
                    state.sleeperCount += 1
                    return (false, state.takeSatisfiedWatchers())
                }
                for watcher in watchers { watcher.resume() }
                if due {
                    continuation.resume()
                } else if Task.isCancelled {
                    // The cancellation handler may have run before the sleeper was registered.
                    removeSleeper(id)?.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            removeSleeper(id)?.resume(throwing: CancellationError())
        }
    }

    // MARK: Advancing

    /// Moves the clock forward by `duration`, firing every due timer in deadline order before returning
    /// and resuming every due sleeper.
    ///
    /// A timer whose action schedules another timer that is also due by the new time fires too.
    ///
    /// ```swift
    /// clock.advance(by: .milliseconds(250))
    /// ```
    public func advance(by duration: Duration) {
        precondition(duration >= .zero, "ManualClock.advance(by:) needs a non-negative duration, got \(duration)")
        advance(to: now.advanced(by: duration))
    }

    /// Moves the clock to `deadline` (if it is in the future), firing every due timer in order.
    ///
    /// ```swift
    /// clock.advance(to: ManualClock.Instant(offset: .seconds(10)))
    /// ```
    public func advance(to deadline: Instant) {
        while true {
            let next = state.withLock { state -> Entry? in
                guard let first = state.entries.first, first.deadline <= deadline else {
                    if state.current < deadline { state.current = deadline }
                    return nil
                }
                state.entries.removeFirst()
                if state.current < first.deadline { state.current = first.deadline }
                if case .sleeper = first.kind { state.sleeperCount -= 1 }
                return first
            }
            guard let next else { return }
            switch next.kind {
            case .action(let action): action()
            case .sleeper(let continuation): continuation.resume()
            }
        }
    }

    // MARK: Observing

    /// The number of timers and sleepers waiting for a deadline.
    ///
    /// ```swift
    /// #expect(clock.scheduledCount == 0)   // nothing left behind
    /// ```
    public var scheduledCount: Int { state.withLock { $0.entries.count } }

    /// The deadline of the next timer or sleeper, if any.
    ///
    /// ```swift
    /// if let next = clock.nextDeadline { clock.advance(to: next) }
    /// ```
    public var nextDeadline: Instant? { state.withLock { $0.entries.first?.deadline } }

    /// Suspends until at least `count` tasks are sleeping on the clock — a deterministic way for a test
    /// to know that the code under test has reached its `sleep` before advancing the clock.
    ///
    /// ```swift
    /// let work = Task { try await poll(clock: clock) }
    /// await clock.waitForSleepers(1)
    /// clock.advance(by: .seconds(1))
    /// ```
    public func waitForSleepers(_ count: Int = 1) async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.sleeperCount >= count { return true }
                state.sleeperWatchers.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    // MARK: Internals

    private func removeTimer(_ id: UInt64) -> Entry? {
        state.withLock { state in
            guard let index = state.entries.firstIndex(where: { $0.id == id }) else { return nil }
            return state.entries.remove(at: index)
        }
    }

    private func removeSleeper(_ id: UInt64) -> UnsafeContinuation<Void, any Error>? {
        state.withLock { state in
            guard let index = state.entries.firstIndex(where: { $0.id == id }),
                  case .sleeper(let continuation) = state.entries[index].kind
            else { return nil }
            state.entries.remove(at: index)
            state.sleeperCount -= 1
            return continuation
        }
    }
}

// MARK: - TimerScheduling

extension ManualClock: TimerScheduling {
    func scheduleTimer(
        at deadline: Instant, tolerance: Duration?, _ action: @escaping @Sendable () -> Void
    ) -> @Sendable () -> Void {
        let id = state.withLock { state -> UInt64? in
            if deadline <= state.current { return nil }
            state.nextID += 1
            state.insert(Entry(id: state.nextID, deadline: deadline, kind: .action(action)))
            return state.nextID
        }
        guard let id else {
            action()   // already due: fires at once, in the caller
            return {}
        }
        return { [weak self] in
            // The removed action is released here, outside the lock: releasing it may run deinits.
            _ = self?.removeTimer(id)
        }
    }
}
