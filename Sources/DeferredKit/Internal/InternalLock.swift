import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - InternalLock

/// The lock every DeferredKit type uses for its few words of state.
///
/// It is a `Synchronization.Mutex` whose hand-offs are announced to ThreadSanitizer. On Linux the mutex
/// waits on a futex inside an uninstrumented runtime library, so without the announcement TSan cannot
/// see that the unlock of one thread happens before the lock of the next and reports false races on
/// state that is only ever touched inside `withLock`. The annotation keeps real races visible: only the
/// edge the mutex really provides is declared, and only when the TSan runtime is present.
@usableFromInline
struct InternalLock: ~Copyable, Sendable {
    @usableFromInline
    let mutex = Mutex<Void>(())

    @inlinable
    init() {}

    /// Runs `body` while holding the lock. `body` must not call out to user code.
    @inlinable
    func withLock<R: ~Copyable, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try mutex.withLock { _ throws(E) -> R in
            let hooks = ThreadSanitizerHooks.resolved
            if let hooks { hooks.pointee.acquire(self.address) }
            defer { if let hooks { hooks.pointee.release(self.address) } }
            return try body()
        }
    }

    /// A stable address that names this lock to ThreadSanitizer (the lock lives inside a class).
    @inlinable
    var address: UnsafeMutableRawPointer {
        // The mutex is stored inline in its owning object, so its address is stable while borrowed.
        withUnsafePointer(to: mutex) { UnsafeMutableRawPointer(mutating: UnsafeRawPointer($0)) }
    }
}

// MARK: - ThreadSanitizerHooks

/// `__tsan_acquire` / `__tsan_release`, looked up once with `dlsym`; `nil` when TSan is not linked in.
@usableFromInline
struct ThreadSanitizerHooks: Sendable {
    @usableFromInline typealias Hook = @convention(c) (UnsafeMutableRawPointer?) -> Void

    @usableFromInline let acquire: Hook
    @usableFromInline let release: Hook

    /// The hooks of this process, or `nil` when it does not run under ThreadSanitizer.
    @usableFromInline
    static let current: ThreadSanitizerHooks? = {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        #if canImport(Darwin)
        let handle = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #else
        let handle: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #endif
        guard let acquire = dlsym(handle, "__tsan_acquire"),
              let release = dlsym(handle, "__tsan_release")
        else { return nil }
        return ThreadSanitizerHooks(
            acquire: unsafeBitCast(acquire, to: Hook.self),
            release: unsafeBitCast(release, to: Hook.self))
        #else
        return nil
        #endif
    }()
}

// MARK: - Resolving the hooks cheaply

/// The hooks, as one word: 0 until looked up, 1 when TSan is absent, otherwise the address of the hooks
/// (allocated once, never freed). A global atomic with a constant initial value is laid out statically,
/// so reading it on every lock hold is one load — where reading `ThreadSanitizerHooks.current`, a lazy
/// static, calls `swift_once` each time (together ≈ 45 instructions per `map` link).
@usableFromInline
let threadSanitizerHooksWord = Atomic<UInt>(0)

extension ThreadSanitizerHooks {
    /// The hooks of this process, or `nil` when it does not run under ThreadSanitizer.
    @inlinable
    static var resolved: UnsafePointer<ThreadSanitizerHooks>? {
        let word = threadSanitizerHooksWord.load(ordering: .acquiring)
        if word == 1 { return nil }
        if word == 0 { return resolveOnce() }
        return UnsafePointer(bitPattern: word)
    }

    /// Looks the hooks up and publishes them; racing first calls agree on one published value.
    @usableFromInline
    static func resolveOnce() -> UnsafePointer<ThreadSanitizerHooks>? {
        guard let hooks = current else {
            threadSanitizerHooksWord.store(1, ordering: .releasing)
            return nil
        }
        let mine = UnsafeMutablePointer<ThreadSanitizerHooks>.allocate(capacity: 1)
        mine.initialize(to: hooks)
        let (exchanged, winner) = threadSanitizerHooksWord.compareExchange(
            expected: 0, desired: UInt(bitPattern: mine), ordering: .acquiringAndReleasing)
        if exchanged { return UnsafePointer(mine) }
        mine.deallocate()
        return UnsafePointer(bitPattern: winner)
    }
}
