// MARK: - Deferred

/// A one-shot asynchronous result that any number of observers can share.
///
/// A `Deferred` starts pending and completes exactly once, with a value or an error. Every observer —
/// a `whenComplete` callback, a Deferred derived with `map`/`flatMap`/…, a task awaiting `value` — sees
/// the same result. Observers run synchronously, as soon as the result exists, outside every lock, in
/// registration order; chains of any length run in a loop, never by recursion.
///
/// ```swift
/// let greeting = Deferred<String>()
/// greeting.map { $0.uppercased() }.whenComplete { print($0) }   // success("HELLO")
/// greeting.resolve("hello")
/// ```
///
/// Cancellation follows interest: cancelling a derived Deferred or an awaiting task withdraws it from
/// what it waits on, and the work itself is cancelled only when its last dependent has withdrawn.
public class Deferred<Value: Sendable>: @unchecked Sendable {
    // Not `final`, so that a derived Deferred can be its own observer node (`MapLink`, `FlatMapLink`:
    // one allocation per link instead of two). Users cannot subclass a `public` class outside the module;
    // every member is `final`, so nothing is dispatched dynamically.
    // Every stored property below is guarded by `lock`, except `creationSite`, which never changes. The
    // lock already makes every access exclusive, so the run-time exclusivity checks (about a third of the
    // cost of create + observe + resolve) are switched off for these properties.
    @usableFromInline final let lock = InternalLock()
    @exclusivity(unchecked) @usableFromInline final var flags: DeferredFlags
    /// Made by `init(derivedFrom:)`: while pending, held by its source's observer list (see
    /// `DeferredUpstream.derivedSource`). Never changes; it fits in padding after `flags`.
    @usableFromInline final let isDerived: Bool
    @exclusivity(unchecked) @usableFromInline final var dependentCount: UInt32
    // The result, in one 24-byte slot that holds a value inline, a box with a larger value, or the error,
    // as `flags` say (see Deferred+ResultStorage.swift for why it is not a `Result<Value, any Error>?`).
    @exclusivity(unchecked) @usableFromInline final var resultWords: (UInt64, UInt64, UInt64)
    @exclusivity(unchecked) @usableFromInline final var observers: ObserverList<Value>
    @exclusivity(unchecked) @usableFromInline final var upstream: DeferredUpstream
    /// The cancel action, the event channel and the observer index, for the few Deferreds that have them.
    @exclusivity(unchecked) @usableFromInline final var rare: DeferredRareParts?
    @usableFromInline final let creationSite: DeferredCallSite

    // MARK: Creating

    /// Creates a pending Deferred. Complete it with `resolve`, `reject` or `complete(with:)`.
    ///
    /// ```swift
    /// let d = Deferred<Int>()
    /// d.resolve(42)
    /// ```
    @inlinable
    public init(file: StaticString = #fileID, line: UInt = #line) {
        flags = []
        isDerived = false
        dependentCount = 0
        resultWords = (0, 0, 0)
        observers = ObserverList()
        upstream = .none
        rare = nil
        creationSite = DeferredCallSite(file, line)
    }

    /// Creates a pending Deferred whose `cancel()` runs `canceller` once, first.
    ///
    /// The canceller may complete the Deferred (with a value or an error); if it does not, the Deferred
    /// is rejected with `CancellationError` once the canceller returns. A completion that the producer
    /// attempts after that is silently ignored.
    ///
    /// ```swift
    /// let request = Deferred<Data> { _ in connection.abort() }
    /// request.cancel()   // aborts, then rejects with CancellationError
    /// ```
    @inlinable
    public init(
        file: StaticString = #fileID, line: UInt = #line,
        canceller: @escaping @Sendable (Deferred<Value>) -> Void
    ) {
        flags = []
        isDerived = false
        dependentCount = 0
        resultWords = (0, 0, 0)
        observers = ObserverList()
        upstream = .none
        // Kept type-erased so that the record is not generic (see `DeferredRareParts`).
        rare = DeferredRareParts(cancelAction: .canceller { object in
            canceller(unsafeDowncast(object, to: Deferred<Value>.self))
        })
        creationSite = DeferredCallSite(file, line)
    }

    /// A pending Deferred that only the library completes (with `completeAsOwner`), with an optional
    /// canceller. Every Deferred a utility of the library hands out is made this way.
    ///
    /// When `completesAfterCancel`, `cancel()` runs the canceller and then leaves the result to the owner,
    /// which must complete it (a combinator's output completes from its inputs' final results, a timeout's
    /// from its source's); otherwise a canceller that does not complete it is followed by a rejection
    /// with `CancellationError`.
    @inlinable
    convenience init(
        owned site: DeferredCallSite, completesAfterCancel: Bool = false,
        canceller: (@Sendable (Deferred<Value>) -> Void)? = nil
    ) {
        // Kept type-erased so that the record is not generic (see `DeferredRareParts`).
        self.init(owned: site, completesAfterCancel: completesAfterCancel, cancelAction: canceller.map { canceller in
            .canceller { object in canceller(unsafeDowncast(object, to: Deferred<Value>.self)) }
        })
    }

    /// The same, with the cancel action prepared by the caller: once for many Deferreds, or capturing
    /// nothing and finding what it needs on a subclass, so that no per-Deferred closure is allocated.
    @inlinable
    init(owned site: DeferredCallSite, completesAfterCancel: Bool = false, cancelAction: CancelAction?) {
        flags = completesAfterCancel ? [.libraryOwned, .awaitsProducer] : .libraryOwned
        isDerived = false
        dependentCount = 0
        resultWords = (0, 0, 0)
        observers = ObserverList()
        upstream = .none
        rare = cancelAction.map { DeferredRareParts(cancelAction: $0) }
        creationSite = site
    }

    /// A Deferred that is complete from the start.
    @inlinable
    init(completedWith result: Result<Value, any Error>, site: DeferredCallSite) {
        flags = []
        isDerived = false
        dependentCount = 0
        resultWords = (0, 0, 0)
        observers = ObserverList()
        upstream = .completed(at: site)
        rare = nil
        creationSite = site
        storedResult = result
        if case .failure(let error) = result, DeferredDiagnostics.isReportable(error) {
            flags.insert(.errorUnobserved)
        }
    }

    /// A pending Deferred derived from `source` (by `map`, `flatMap`, `recover`, …). The caller registers
    /// it on `source` at once: from then on, `source` holds it until it completes.
    @inlinable
    init<Source>(derivedFrom source: Deferred<Source>, site: DeferredCallSite) {
        flags = .libraryOwned
        isDerived = true
        dependentCount = 0
        resultWords = (0, 0, 0)
        observers = ObserverList()
        upstream = .waiting(on: source, sourceIsDerived: source.isDerived)
        rare = nil
        creationSite = site
    }

    /// A Deferred that is already resolved with `value`.
    ///
    /// ```swift
    /// let cached = Deferred.resolved(user)
    /// ```
    @inlinable
    public static func resolved(_ value: Value, file: StaticString = #fileID, line: UInt = #line) -> Deferred<Value> {
        Deferred(completedWith: .success(value), site: DeferredCallSite(file, line))
    }

    /// A Deferred that is already rejected with `error`.
    ///
    /// ```swift
    /// let failed = Deferred<Int>.rejected(URLError(.badURL))
    /// ```
    @inlinable
    public static func rejected(_ error: any Error, file: StaticString = #fileID, line: UInt = #line) -> Deferred<Value> {
        Deferred(completedWith: .failure(error), site: DeferredCallSite(file, line))
    }

    deinit {
        if flags.contains(.hasValue) {
            destroyStoredValue()
            return
        }
        if flags.contains(.hasError) {
            if flags.contains(.errorUnobserved) {
                DeferredDiagnostics.reportUnhandled(storedError, createdAt: creationSite)
            }
            destroyStoredError()
            return
        }
        if !observers.isEmpty {
            // Freed while pending, with dependents that hold it weakly: nobody can complete it any more,
            // so they are told so instead of waiting forever. The firing loop runs them (a dropped chain
            // of any length settles iteratively).
            let abandoned = observers.takeAll()
            let site = creationSite
            DeferredDiagnostics.reportAbandoned(createdAt: site)
            FiringLoop.runAbandoned { abandoned.run(with: .failure(DeferredAbandonedError(createdAt: site))) }
        }
    }

    // MARK: Completing

    /// Completes the Deferred with `value` and runs its observers before returning.
    ///
    /// Returns `true` when this call completed it. A second completion returns `false`, changes nothing
    /// and is reported to `DeferredDiagnostics` — except after `cancel()`, when it is silently ignored.
    ///
    /// ```swift
    /// d.resolve(42)
    /// ```
    @inlinable
    @discardableResult
    final public func resolve(_ value: Value, file: StaticString = #fileID, line: UInt = #line) -> Bool {
        complete(.success(value), at: DeferredCallSite(file, line), asOwner: false)
    }

    /// Completes the Deferred with `error` and runs its observers before returning.
    ///
    /// Returns `true` when this call completed it (see `resolve(_:)` for the rules).
    ///
    /// ```swift
    /// d.reject(TimeoutError())
    /// ```
    @inlinable
    @discardableResult
    final public func reject(_ error: any Error, file: StaticString = #fileID, line: UInt = #line) -> Bool {
        complete(.failure(error), at: DeferredCallSite(file, line), asOwner: false)
    }

    /// Completes the Deferred with `result` and runs its observers before returning.
    ///
    /// Returns `true` when this call completed it (see `resolve(_:)` for the rules).
    ///
    /// ```swift
    /// d.complete(with: Result { try parse(data) })
    /// ```
    @inlinable
    @discardableResult
    final public func complete(
        with result: Result<Value, any Error>, file: StaticString = #fileID, line: UInt = #line
    ) -> Bool {
        complete(result, at: DeferredCallSite(file, line), asOwner: false)
    }

    /// Completes a library-owned Deferred (or any other) on the library's behalf: returns whether this
    /// call completed it, and never reports a second completion (the library may race with cancellation).
    @inlinable
    @discardableResult
    final func completeAsOwner(_ result: Result<Value, any Error>) -> Bool {
        complete(result, at: creationSite, reportingTwice: false)
    }

    @inlinable
    final func complete(
        _ result: Result<Value, any Error>, at site: DeferredCallSite, reportingTwice: Bool = true, asOwner: Bool = true
    ) -> Bool {
        // When no observers run on this thread, the observers are taken in this same lock hold and run at
        // once; otherwise the firing loop queues this Deferred behind the observers that are running.
        var batch = ObserverList<Value>()
        var loop: FiringLoop?
        var isTaken = false
        // What the completion releases (the cancel action: a user closure; the source, whose deinit may
        // run user code) dies after the lock.
        var released: CancelAction?
        var releasedSource: (any CancelNode)?
        let outcome = lock.withLock { () -> CompletionOutcome in
            if !asOwner && flags.contains(.libraryOwned) { return .notOwner }
            if hasResult {
                if flags.contains(.cancelRequested) { return .ignored }
                if case .completed(let first) = upstream { return .twice(first: first) }
                return .twice(first: nil)
            }
            storedResult = result
            releasedSource = upstream.markCompleted(at: site)
            if let rare {
                released = rare.cancelAction.take()
                rare.observerIndex = nil
            }
            // Passive observers (pools, event channels) run, but do not count as receiving an error.
            if case .failure(let error) = result, dependentCount == 0,
               !flags.contains(.hasPermanentDependent), DeferredDiagnostics.isReportable(error) {
                flags.insert(.errorUnobserved)
            }
            if observers.isEmpty {
                return .completed
            }
            flags.insert(.firing)
            let current = FiringLoop.current
            if !current.isRunning {
                batch = observers.takeAll()
                isTaken = true
            }
            loop = current
            return .completedWithObservers
        }
        _ = released  // released here, after the lock
        _ = releasedSource
        switch outcome {
        case .completedWithObservers:
            if isTaken {
                loop!.run(taken: batch, of: self, with: result)
            } else {
                loop!.enqueue(self)
            }
            return true
        case .completed:
            return true
        case .ignored:
            return false
        case .twice(let first):
            if reportingTwice {
                DeferredDiagnostics.reportCompletedTwice(at: site, firstAt: first, createdAt: creationSite)
            }
            return false
        case .notOwner:
            DeferredDiagnostics.reportCompletedByNonOwner(at: site, createdAt: creationSite)
            return false
        }
    }

    // MARK: Inspecting

    /// The result, or `nil` while the Deferred is pending. Reading an error counts as handling it.
    ///
    /// ```swift
    /// if case .success(let user)? = lookup.result { show(user) }
    /// ```
    @inlinable
    final public var result: Result<Value, any Error>? {
        lock.withLock {
            flags.remove(.errorUnobserved)
            return storedResult
        }
    }

    /// Whether the Deferred has a result.
    ///
    /// ```swift
    /// if !download.isComplete { showSpinner() }
    /// ```
    @inlinable
    final public var isComplete: Bool {
        lock.withLock { hasResult }
    }

    // MARK: Observing

    /// Registers `observer` to receive the result: at once, in the caller, if the Deferred is complete;
    /// otherwise on the completing thread, in registration order, outside every lock.
    ///
    /// A `whenComplete` observer is a permanent dependent: a Deferred that has one is never cancelled on
    /// behalf of its other dependents.
    ///
    /// ```swift
    /// download.whenComplete { result in print(result) }
    /// ```
    @inlinable
    final public func whenComplete(_ observer: @escaping @Sendable (Result<Value, any Error>) -> Void) {
        addObserver(Observer(dependent: Observer<Value>.permanent, callback: observer))
    }

    /// Adds an observer; runs it at once when the Deferred is complete and its observers are not running.
    @inlinable
    final func addObserver(_ observer: Observer<Value>) {
        let runNow = lock.withLock { () -> Result<Value, any Error>? in
            if let result = storedResult {
                if observer.dependent != Observer<Value>.passive {
                    flags.remove(.errorUnobserved)
                }
                if flags.contains(.firing) {
                    observers.append(observer, index: nil)  // runs after the observers that are running now
                    return nil
                }
                return result
            }
            observers.append(observer, index: rare?.observerIndex)
            switch observer.dependent {
            case Observer<Value>.permanent: flags.insert(.hasPermanentDependent)
            case Observer<Value>.passive: break
            default: dependentCount += 1
            }
            return nil
        }
        if let runNow {
            observer.callback(runNow)
        }
    }
}

// MARK: - Running observers

extension Deferred {
    /// Runs the observers, including any added while they run, then clears the firing mark.
    @inlinable
    final func drainObservers() {
        while true {
            let batch = lock.withLock { () -> (ObserverList<Value>, Result<Value, any Error>)? in
                if observers.isEmpty {
                    flags.remove(.firing)
                    return nil
                }
                return (observers.takeAll(), storedResult!)
            }
            guard let (list, result) = batch else { return }
            list.run(with: result)
        }
    }
}

// MARK: - State

extension Deferred {
    @usableFromInline
    enum CompletionOutcome {
        case completedWithObservers
        case completed
        case ignored
        case twice(first: DeferredCallSite?)
        case notOwner
    }

    /// The identity under which this Deferred observes the Deferred it was derived from.
    @inlinable
    final var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }
}
