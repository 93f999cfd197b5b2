import NIOConcurrencyHelpers

// MARK: - Wakeup

/// A sticky signal for one waiting loop: `signal()` wakes the loop, or makes its next `wait` return at
/// once; several signals before the loop wakes count as one. Waiting also ends after a timeout (the
/// polling fallback) or when the waiting task is cancelled.
final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = NIOLockedValueBox(State())

    init() {}

    /// Wakes the loop. Never blocks; resumes the waiter outside the lock.
    func signal() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLockedValue { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.signalled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns when signalled (consuming the signal), after `timeout`, or on cancellation.
    func wait(timeout: Duration) async {
        if consumeSignal() { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.nextSignal() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func consumeSignal() -> Bool {
        state.withLockedValue { state in
            defer { state.signalled = false }
            return state.signalled
        }
    }

    private func nextSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLockedValue { state in
                    if state.signalled {
                        state.signalled = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLockedValue { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
