// MARK: - Cancellation

/// A Deferred seen by the cancellation machinery, whatever its `Value`.
///
/// Cancellation follows interest, and it is a request. A Deferred's *dependents* are the Deferreds
/// derived from it, the tasks awaiting its value and the combinators that wait on it; `whenComplete`
/// observers are permanent dependents. When a dependent withdraws and others remain, its observer is
/// removed and it is rejected with `CancellationError` at once. When it was the last one — and there is no
/// permanent one — the Deferred itself is cancelled, and the dependent keeps its observer: it receives the
/// Deferred's final result, whatever the cancellation made of it (a canceller's value or error,
/// `CancellationError`, or what a cancelled task body finally returned). Cancelling may in turn withdraw
/// the Deferred from what *it* waits on; that climb runs in a loop (`runCancellation(of:)`), so a
/// million-link pending chain cancels in constant stack.
@usableFromInline
protocol CancelNode: AnyObject, Sendable {
    /// Withdraws `dependent`'s observer. See `WithdrawOutcome`.
    func withdraw(dependent: UInt) -> WithdrawOutcome
    /// Starts this node's own cancellation (it is already marked): runs its cancel action or withdraws
    /// from its source.
    func performCancel() -> CancelStep
    /// Ends this node's cancellation when nothing upstream will complete it: if it is still pending and
    /// no producing task decides its result, rejects it with `CancellationError`.
    func settleCancel()
}

@usableFromInline
enum WithdrawOutcome {
    /// The observer was removed; the source goes on for its other dependents. Carries the observer, boxed.
    case removed(Any)
    /// It was the last dependent: the observer stays, to receive the final result, and the source is now
    /// marked as cancelled and must be cancelled by the caller.
    case last
    /// Nothing to withdraw: the source is complete (the observer has run or is about to), or the
    /// observer is not registered.
    case settled
}

@usableFromInline
enum CancelStep {
    /// Settle this node when `force` (nothing upstream will complete it).
    case settle(force: Bool)
    /// This node was the last dependent of `node`, which must be cancelled first; this node then
    /// completes from `node`'s final result, through its own observer.
    case climb(any CancelNode)
    /// The node now waits on another source (a `flatMap` handed over to its inner Deferred): start again.
    case again
    /// The node is already complete.
    case done
}

/// A weak reference to the node a derived Deferred waits on, so that a dropped pending chain is freed.
@usableFromInline
struct WeakCancelNode {
    @usableFromInline weak var node: (any CancelNode)?

    @inlinable
    init(_ node: any CancelNode) { self.node = node }
}

extension CancelNode {
    /// Cancels `start` (already marked) and, climbing, every source whose last dependent withdrew, then
    /// settles the topmost one. The nodes below it keep their observers and complete from it as usual, so
    /// a `recover` on the way sees the cancellation and may turn it into a value.
    ///
    /// Cancellers may complete Deferreds. When observers are already running on this thread, the firing
    /// loop queues those completions, so the settling is queued behind them: a value a canceller supplies
    /// is delivered before anything is rejected with `CancellationError`, inside an observer as at top level.
    @usableFromInline
    static func runCancellation(of start: any CancelNode) {
        var node = start
        while true {
            switch node.performCancel() {
            case .climb(let source):
                node = source
            case .again:
                continue
            case .settle(let force):
                if force {
                    let top = node
                    FiringLoop.runAfterQueuedFirings { top.settleCancel() }
                }
                return
            case .done:
                return
            }
        }
    }
}

extension Deferred: CancelNode {
    // MARK: Cancelling

    /// Cancels the Deferred if it is pending; does nothing if it is complete.
    ///
    /// The canceller (if any) runs once; if it does not complete the Deferred, the Deferred is rejected
    /// with `CancellationError`. A derived Deferred withdraws from the Deferred it waits on; that one is
    /// cancelled in turn only if nobody else depends on it, and if its canceller supplies a result, the
    /// derived Deferred completes from it as usual. A Deferred created from async work cancels the task
    /// and completes with whatever the task finally returns or throws.
    ///
    /// ```swift
    /// let thumbnail = image.map(makeThumbnail)
    /// thumbnail.cancel()   // `image` is cancelled too, unless someone else still wants it
    /// ```
    public func cancel() {
        guard markCancelRequested() else { return }
        Self.runCancellation(of: self)
    }

    /// Marks the Deferred as cancelled; `false` when it is complete or already cancelled.
    @usableFromInline
    func markCancelRequested() -> Bool {
        lock.withLock {
            if hasResult || flags.contains(.cancelRequested) { return false }
            flags.insert(.cancelRequested)
            return true
        }
    }

    @usableFromInline
    func performCancel() -> CancelStep {
        let (current, action) = lock.withLock { (upstream, rare?.cancelAction) }
        switch current {
        case .completed:
            return .done
        case .none:
            switch action {
            case .canceller(let canceller)?:
                canceller(self)
            case .producer(let cancelProducer)?:
                cancelProducer()
            case nil:
                break
            }
            return .settle(force: true)
        case .source, .derivedSource:
            guard let source = current.sourceNode else { return .settle(force: true) }
            switch source.withdraw(dependent: dependentID) {
            case .removed: return .settle(force: true)
            case .last: return .climb(source)
            case .settled: return cancelAfterSourceCompleted(source)
            }
        }
    }

    /// The source completed before the request reached it, so its observer — this Deferred's transform —
    /// is running or has run. If that was a `flatMap` that has already handed over to an inner Deferred,
    /// cancel again against the inner one; if it has not yet, leave a mark for the hand-off (`follow`) to
    /// cancel the inner one itself. Otherwise this Deferred completes from the source as usual.
    @usableFromInline
    func cancelAfterSourceCompleted(_ source: any CancelNode) -> CancelStep {
        lock.withLock {
            if hasResult { return .done }
            if let current = upstream.sourceNode, current !== source { return .again }
            flags.insert(.cancelAwaitsHandOff)
            return .settle(force: false)
        }
    }

    @usableFromInline
    func settleCancel() {
        var released: CancelAction?
        var releasedSource: (any CancelNode)?
        let fire = lock.withLock { () -> Bool in
            if hasResult || flags.contains(.awaitsProducer) { return false }
            storedResult = .failure(CancellationError())
            releasedSource = upstream.markCompleted(at: creationSite)
            if let rare {
                released = rare.cancelAction.take()
                rare.observerIndex = nil
            }
            if observers.isEmpty { return false }
            flags.insert(.firing)
            return true
        }
        _ = released  // released here, after the lock, with the source
        _ = releasedSource
        if fire { FiringLoop.fire(self) }
    }

    // MARK: Dependents

    @usableFromInline
    func withdraw(dependent: UInt) -> WithdrawOutcome {
        lock.withLock {
            if hasResult { return .settled }
            if dependentCount == 1, !flags.contains(.hasPermanentDependent), !flags.contains(.cancelRequested),
               observers.contains(dependent: dependent, index: rare?.observerIndex) {
                flags.insert(.cancelRequested)
                return .last
            }
            var index = rare?.observerIndex
            guard let observer = observers.remove(dependent: dependent, index: &index) else { return .settled }
            if let index, rare?.observerIndex == nil {
                if rare == nil { rare = DeferredRareParts() }
                rare!.observerIndex = index
            }
            dependentCount -= 1
            return .removed(observer)
        }
    }

    /// Registers a withdrawable dependent: `callback` receives the result unless `dependent` withdraws.
    ///
    /// Combinators and bridges use this instead of `whenComplete`, so that they can give up their interest.
    @inlinable
    func addDependent(_ dependent: UInt, _ callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        addObserver(Observer(dependent: dependent, callback: callback))
    }

    /// Marks an error as received, for a utility that rejected this Deferred on purpose and reports the
    /// outcome another way (a stopped job queue, for example): it is then not reported as unhandled.
    @usableFromInline
    func markErrorHandled() {
        lock.withLock { _ = flags.remove(.errorUnobserved) }
    }

    /// Registers an observer that expresses no interest: it does not keep the Deferred from being
    /// cancelled when its dependents withdraw, and it cannot withdraw. It runs like any observer.
    @inlinable
    func addPassiveObserver(_ callback: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        addObserver(Observer(dependent: Observer<Value>.passive, callback: callback))
    }

    /// Withdraws `dependent`. If other dependents remain, its observer is removed without running and
    /// handed to `ifRemoved`, and the caller settles it (with `CancellationError`). If it was the last
    /// dependent, the Deferred is cancelled and the observer stays: it receives the final result.
    @usableFromInline
    func withdrawDependent(_ dependent: UInt, ifRemoved: (Observer<Value>) -> Void = { _ in }) {
        switch withdraw(dependent: dependent) {
        case .removed(let observer):
            ifRemoved(observer as! Observer<Value>)
        case .settled:
            return
        case .last:
            Self.runCancellation(of: self)
        }
    }
}
