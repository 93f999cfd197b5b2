// MARK: - DeferredListObserver

/// Watches a growing list of Deferreds and tells its observers `(index, result)` as each completes —
/// txdlo's `DeferredListObserver`, the building block for combinators of your own.
///
/// Deferreds can be appended at any time; each gets the next index. Before observers hear of a result,
/// `pendingCount` and `history` (when kept) already include it, so an observer can decide from them.
/// Observers run synchronously on the completing thread, outside every lock, in registration order;
/// results of inputs completing on different threads may be reported concurrently.
///
/// The observer is a dependent of every pending input: its interest keeps them from being cancelled on
/// behalf of their other dependents, until `withdraw()`. Every input error it receives counts as handled.
///
/// ```swift
/// // Fire when `needed` of the observed Deferreds have succeeded.
/// let list = DeferredListObserver<Int>()
/// let enough = Deferred<Void>()
/// let succeeded = Mutex(0)
/// list.observe { _, result in
///     guard case .success = result else { return }
///     if succeeded.withLock({ $0 += 1; return $0 }) == needed { enough.resolve(()); list.withdraw() }
/// }
/// for d in work { list.append(d) }
/// ```
public final class DeferredListObserver<Value: Sendable>: @unchecked Sendable {
    /// One completion: the input's index and its result.
    public typealias Event = (index: Int, result: Result<Value, any Error>)

    private struct Slot {
        weak var input: Deferred<Value>?
        var isSettled: Bool
    }

    // Every stored property below is guarded by `lock`.
    private let lock = InternalLock()
    private var slots: [Slot] = []
    private var observers: [@Sendable (Int, Result<Value, any Error>) -> Void] = []
    private var events: [Event]?
    private var pending = 0

    /// Creates an observer; with `maintainHistory`, it keeps every completion in `history`.
    ///
    /// ```swift
    /// let list = DeferredListObserver<Data>(maintainHistory: true)
    /// ```
    public init(maintainHistory: Bool = false) {
        events = maintainHistory ? [] : nil
    }

    private var dependentID: UInt { UInt(bitPattern: ObjectIdentifier(self)) }

    // MARK: Observing

    /// Adds `observer`, which hears of every completion from now on (not of earlier ones; see `history`).
    ///
    /// ```swift
    /// list.observe { index, result in print("#\(index):", result) }
    /// ```
    public func observe(_ observer: @escaping @Sendable (_ index: Int, _ result: Result<Value, any Error>) -> Void) {
        lock.withLock { observers.append(observer) }
    }

    /// Starts observing `deferred` and returns its index. If it is already complete, observers hear of it
    /// before this returns.
    ///
    /// ```swift
    /// let index = list.append(fetch(url))
    /// ```
    @discardableResult
    public func append(_ deferred: Deferred<Value>) -> Int {
        let index = lock.withLock { () -> Int in
            slots.append(Slot(input: deferred, isSettled: false))
            pending += 1
            return slots.count - 1
        }
        deferred.addDependent(dependentID) { [self] result in
            received(result, at: index)
        }
        return index
    }

    /// Withdraws from every pending input: each one that nobody else wants is cancelled (observers hear
    /// of the results its canceller supplies). Inputs appended later are observed as usual.
    ///
    /// ```swift
    /// list.withdraw()   // we have what we needed
    /// ```
    public func withdraw() {
        let pendingInputs = lock.withLock { () -> [(Int, Deferred<Value>)] in
            slots.indices.compactMap { index in
                slots[index].isSettled ? nil : slots[index].input.map { (index, $0) }
            }
        }
        for (index, input) in pendingInputs {
            input.withdrawDependent(dependentID) { [self] _ in
                // Removed without running: the input goes on for others (or was cancelled without a
                // value); we no longer wait for it.
                lock.withLock {
                    if !slots[index].isSettled {
                        slots[index].isSettled = true
                        slots[index].input = nil
                        pending -= 1
                    }
                }
            }
        }
    }

    // MARK: Inspecting

    /// How many appended inputs have not completed (and were not withdrawn from).
    ///
    /// ```swift
    /// if list.pendingCount == 0 { print("all done") }
    /// ```
    public var pendingCount: Int { lock.withLock { pending } }

    /// How many inputs were appended.
    ///
    /// ```swift
    /// print(list.count)
    /// ```
    public var count: Int { lock.withLock { slots.count } }

    /// Every completion so far, in completion order; empty unless created with `maintainHistory: true`.
    ///
    /// ```swift
    /// for (index, result) in list.history { print(index, result) }
    /// ```
    public var history: [Event] { lock.withLock { events ?? [] } }

    // MARK: Receiving

    private func received(_ result: Result<Value, any Error>, at index: Int) {
        let toNotify = lock.withLock { () -> [@Sendable (Int, Result<Value, any Error>) -> Void] in
            slots[index].isSettled = true
            slots[index].input = nil
            pending -= 1
            events?.append((index, result))
            return observers
        }
        for observer in toNotify {
            observer(index, result)
        }
    }
}
