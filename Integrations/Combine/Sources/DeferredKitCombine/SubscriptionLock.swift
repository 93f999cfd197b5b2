#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - SubscriptionLock

/// A pthread mutex for the adapters' few words of state.
///
/// DeferredKit's own lock is internal to it, and `Synchronization.Mutex` waits on a futex that
/// ThreadSanitizer does not see on Linux; a pthread mutex is intercepted by TSan on every platform.
/// No user code runs while it is held: every call into a subscriber, a subscription or a Deferred is
/// made after unlocking.
final class SubscriptionLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed with \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the lock held. `body` must not call out to user code.
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}
