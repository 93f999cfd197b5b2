import DeferredKit
import DeferredKitNIO
import NIOCore
import Synchronization

// MARK: - Backend

/// A stand-in for a slow database reached through a NIO client: each call takes `latency` on an event
/// loop, and at most `connections` calls run at once (the rest queue on a `DeferredSemaphore`), as with
/// a connection pool. It counts its calls.
final class Backend: Sendable {
    private let loop: any EventLoop
    private let latency: TimeAmount
    private let pool: DeferredSemaphore
    private let callCount = Atomic<Int>(0)

    init(loop: any EventLoop, latency: TimeAmount, connections: Int) throws {
        self.loop = loop
        self.latency = latency
        self.pool = DeferredSemaphore(tokens: connections)
    }

    /// How many calls reached the backend.
    var calls: Int { callCount.load(ordering: .relaxed) }

    /// Looks `key` up: a NIO future, bridged to a Deferred, run while holding a pool connection.
    func fetch(_ key: String) -> Deferred<String> {
        callCount.add(1, ordering: .relaxed)
        let (loop, latency) = (self.loop, self.latency)
        let call: Deferred<String> = pool.run {
            loop.scheduleTask(in: latency) { "value of \(key)" }.futureResult.deferred
        }
        return call
    }
}

// MARK: - ValueService

/// What the HTTP handler asks for a key: coalesced onto one Deferred per key, or one backend call per
/// request.
final class ValueService: Sendable {
    enum Mode: String, Sendable, CaseIterable {
        /// Single-flight: concurrent requests for a key share one backend call (`DeferredMemoizer`), and the
        /// value is kept once it arrives; a failure or a timeout is not kept, so the next request retries.
        case coalescing
        /// Every request makes its own backend call.
        case direct
    }

    let mode: Mode
    let backend: Backend
    private let perKey: DeferredMemoizer<String, String>
    private let timeout: Duration

    init(mode: Mode, backend: Backend, timeout: Duration) {
        self.mode = mode
        self.backend = backend
        self.timeout = timeout
        // The per-key timeout sits on the shared call: every waiter for that key gets the same outcome.
        perKey = DeferredMemoizer { key in backend.fetch(key).timeout(after: timeout) }
    }

    /// The value for `key`; each caller gets its own Deferred, so cancelling one withdraws only it.
    func value(for key: String) -> Deferred<String> {
        switch mode {
        case .coalescing: perKey(key)
        case .direct: backend.fetch(key).timeout(after: timeout)
        }
    }
}
