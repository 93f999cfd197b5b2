import Synchronization

// MARK: - Awaiting

extension Deferred {
    /// The value, awaited: returns (or throws) at once when the Deferred is complete, without suspending;
    /// otherwise suspends once and resumes on the caller's isolation.
    ///
    /// The awaiting task is a withdrawable dependent. If it is cancelled, it withdraws; when it was the
    /// last dependent the Deferred is cancelled, and if its canceller supplies a result, that is what the
    /// await returns or throws. Otherwise the await throws `CancellationError` at once, and the Deferred
    /// goes on for its other dependents.
    ///
    /// ```swift
    /// let user = try await fetchUser(id).value
    /// ```
    @inlinable
    public nonisolated(nonsending) var value: Value {
        get async throws {
            if let result = completedResult() {
                return try result.get()
            }
            return try await waitForResult().get()
        }
    }

    /// The result, awaited, never throwing.
    ///
    /// ```swift
    /// switch await upload.settled { case .success: done(); case .failure(let e): show(e) }
    /// ```
    @inlinable
    public nonisolated(nonsending) var settled: Result<Value, any Error> {
        get async {
            if let result = completedResult() {
                return result
            }
            return await waitForResult()
        }
    }

    /// The result if complete, marking an error as received.
    @inlinable
    func completedResult() -> Result<Value, any Error>? {
        lock.withLock {
            guard let result = storedResult else { return nil }
            flags.remove(.errorUnobserved)
            return result
        }
    }

    @usableFromInline
    nonisolated(nonsending) func waitForResult() async -> Result<Value, any Error> {
        let waiter = WaiterIdentity.next()
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<Value, any Error>, Never>) in
                addDependent(waiter) { result in continuation.resume(returning: result) }
                // The handler below may have run before the observer existed; cancellation is sticky.
                if Task.isCancelled {
                    withdrawWaiter(waiter)
                }
            }
        } onCancel: {
            withdrawWaiter(waiter)
        }
    }

    /// Withdraws an awaiting task; whoever removes its observer resumes it (exactly once).
    @usableFromInline
    func withdrawWaiter(_ waiter: UInt) {
        withdrawDependent(waiter) { observer in
            observer.callback(.failure(CancellationError()))
        }
    }
}

// MARK: - WaiterIdentity


/// Names each awaiting call among a Deferred's dependents. Identities are odd, so they never collide
/// with a derived Deferred's (an object address), nor with the permanent (0) and passive (1) marks.
@usableFromInline
enum WaiterIdentity {
    @usableFromInline static let counter = Atomic<UInt>(1)

    @inlinable
    static func next() -> UInt {
        (counter.add(1, ordering: .relaxed).newValue << 1) | 1
    }
}
