#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - FiringJob

/// One entry of the firing loop's queue: usually a completed Deferred whose observers wait to run, with a
/// drain function specialised for its type; also the settling step of a cancellation, which must run after
/// the completions its cancellers caused (`runAfterQueuedFirings`).
///
/// The queue holds a plain function rather than a protocol existential: a protocol witness of a generic
/// class runs unspecialised, paying a run-time metadata lookup for every generic type it touches, while
/// this function is formed in (inlined, specialised) code that knows the Deferred's concrete type.
@usableFromInline
struct FiringJob {
    @usableFromInline let deferred: AnyObject
    @usableFromInline let drain: (AnyObject) -> Void

    @inlinable
    init(deferred: AnyObject, drain: @escaping (AnyObject) -> Void) {
        self.deferred = deferred
        self.drain = drain
    }
}

// MARK: - FiringLoop

/// The per-thread loop that makes every hand-off iterative.
///
/// When a Deferred completes and no observers are running on this thread, the completing call becomes
/// the loop: it runs the Deferred's observers and then, one after another, the observers of every
/// Deferred that those observers completed. A Deferred completed *while* observers run on this thread is
/// queued instead of run in place, so a chain of a million `map`s, `flatMap`s or user observers that
/// complete the next Deferred runs in a loop at constant stack depth. Observers still run synchronously
/// on the completing thread, before the outermost `resolve` returns.
///
/// A long pending chain that nobody holds any more settles the same way: the first Deferred's `deinit`
/// hands its observers `DeferredAbandonedError` through the loop (`runAbandoned`).
@usableFromInline
final class FiringLoop {
    // One loop per thread, touched only by its thread: the run-time exclusivity checks would only cost.
    @exclusivity(unchecked) @usableFromInline var isRunning = false
    @exclusivity(unchecked) @usableFromInline var queue: [FiringJob?] = []

    @usableFromInline
    init() {}

    /// The loop of the calling thread.
    @inlinable
    static var current: FiringLoop {
        if let raw = pthread_getspecific(FiringLoop.key) {
            return Unmanaged<FiringLoop>.fromOpaque(raw).takeUnretainedValue()
        }
        return makeCurrent()
    }

    @usableFromInline
    static func makeCurrent() -> FiringLoop {
        let loop = FiringLoop()
        pthread_setspecific(key, Unmanaged.passRetained(loop).toOpaque())
        return loop
    }

    @usableFromInline
    static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { raw in
            #if canImport(Darwin)
            Unmanaged<FiringLoop>.fromOpaque(raw).release()
            #else
            if let raw { Unmanaged<FiringLoop>.fromOpaque(raw).release() }
            #endif
        }
        precondition(status == 0, "DeferredKit: pthread_key_create failed (\(status))")
        return key
    }()

    /// Runs the observers of `deferred` now, or after the observers that are running on this thread.
    @inlinable
    static func fire<Value>(_ deferred: Deferred<Value>) {
        let loop = current
        if loop.isRunning {
            loop.enqueue(deferred)
            return
        }
        loop.isRunning = true
        deferred.drainObservers()
        if !loop.queue.isEmpty {
            loop.runQueue()
        }
        loop.isRunning = false
    }

    /// Queues the observers of `deferred` behind those running on this thread.
    @inlinable
    func enqueue<Value>(_ deferred: Deferred<Value>) {
        queue.append(FiringJob(deferred: deferred) { object in
            unsafeDowncast(object, to: Deferred<Value>.self).drainObservers()
        })
    }

    /// Becomes this thread's loop for observers already taken from `deferred` (which is marked as firing):
    /// runs them, then any added meanwhile, then everything they queued.
    @inlinable
    func run<Value>(taken batch: ObserverList<Value>, of deferred: Deferred<Value>, with result: Result<Value, any Error>) {
        isRunning = true
        batch.run(with: result)
        deferred.drainObservers()
        if !queue.isEmpty {
            runQueue()
        }
        isRunning = false
    }

    @usableFromInline
    func runQueue() {
        var index = 0
        while index < queue.count {
            let next = queue[index].take()  // moved out: the slot no longer holds it once it has fired
            index += 1
            if let next { next.drain(next.deferred) }
            // A chain queues one firing per link as it goes: drop the fired front now and then, so the
            // queue stays as long as what is waiting, not as long as the chain (amortised O(1): at most
            // as many entries move as have fired).
            if index & 1023 == 0, index &* 2 >= queue.count {
                queue.removeFirst(index)
                index = 0
            }
        }
        if queue.capacity > 4096 {
            queue = []
        } else {
            queue.removeAll(keepingCapacity: true)
        }
    }

    /// Runs `work` now, or — when observers are running on this thread — after everything queued so far.
    @usableFromInline
    static func runAfterQueuedFirings(_ work: @escaping () -> Void) {
        let loop = current
        if loop.isRunning {
            loop.queue.append(FiringJob(deferred: loop) { _ in work() })
        } else {
            work()
        }
    }

    /// Runs `work` — the observers of a Deferred freed while pending — as this thread's loop, or after the
    /// observers running now. Called from `deinit`, so a dropped chain of any length settles in a loop.
    @usableFromInline
    static func runAbandoned(_ work: @escaping () -> Void) {
        let loop = current
        // Queued even when the loop is idle, so that the job — and the observers it owns — is released
        // inside the loop: a pending Deferred that dies with it is then queued too, not handled recursively.
        loop.queue.append(FiringJob(deferred: loop) { _ in work() })
        if loop.isRunning { return }
        loop.isRunning = true
        loop.runQueue()
        loop.isRunning = false
    }
}
