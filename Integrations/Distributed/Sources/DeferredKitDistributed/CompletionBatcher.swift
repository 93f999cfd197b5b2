import Logging
import NIOConcurrencyHelpers
import PostgresNIO

// MARK: - CompletionBatcher

/// Group commit for completions: attempts that finish while a batch is in flight go together in the
/// next `dk_complete` call (one transaction, one round trip), up to `batchSize` at a time. At low load a
/// completion goes out alone and at once.
///
/// A batch that fails on a connection error is sent again (completing is idempotent under the fence:
/// an entry that already committed is simply not accepted twice), for up to `retryFor`; after that the
/// attempts are reported as not accepted and their leases will expire.
final class CompletionBatcher: Sendable {
    struct Entry: Sendable {
        var id: String
        var fence: Int64
        var outputJSON: String?
        var failureJSON: String?
    }

    /// Runs once a completion's batch is over, with whether its fence held.
    typealias Done = @Sendable (_ accepted: Bool) -> Void

    private struct State {
        var queue: [(Entry, Done)] = []
        var flushing = false
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let store: PromiseStore
    private let batchSize: Int
    private let retryFor: Duration
    private let state = NIOLockedValueBox(State())

    init(store: PromiseStore, batchSize: Int, retryFor: Duration = .seconds(30)) {
        self.store = store
        self.batchSize = batchSize
        self.retryFor = retryFor
    }

    /// Queues one attempt's completion for the next batch and returns at once. `done` runs on the
    /// batcher's task after the batch's statement (with whether this entry's fence held and it settled
    /// the promise), outside any lock; it must be quick. Not waiting spares the attempt's task a
    /// wake-up per completion: with 32 attempts a batch, those hand-offs were a good part of a
    /// worker's CPU.
    func submit(_ entry: Entry, done: @escaping Done) {
        let startFlusher: Bool = state.withLockedValue { state in
            state.queue.append((entry, done))
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        if startFlusher {
            Task { await self.flushUntilEmpty() }
        }
    }

    /// Returns once every completion submitted so far has been sent and its `done` has run.
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle: Bool = state.withLockedValue { state in
                if !state.flushing { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    private func flushUntilEmpty() async {
        while true {
            let (batch, drained): ([(Entry, Done)], [CheckedContinuation<Void, Never>]) = state.withLockedValue { state in
                let batch = Array(state.queue.prefix(batchSize))
                state.queue.removeFirst(batch.count)
                guard batch.isEmpty else { return (batch, []) }
                state.flushing = false
                defer { state.drainWaiters = [] }
                return ([], state.drainWaiters)
            }
            if batch.isEmpty {
                for waiter in drained { waiter.resume() }
                return
            }
            let accepted = await send(batch.map(\.0))
            for (entry, done) in batch { done(accepted.contains(entry.id)) }
        }
    }

    private func send(_ entries: [Entry]) async -> Set<String> {
        let document = JSONCoding.completionDocument(entries)
        let clock = ContinuousClock()
        let start = clock.now
        var delay = Duration.milliseconds(20)
        while true {
            do {
                let client = store.client, logger = store.logger
                return try await store.retryingConflicts {
                    try await withTimeLimit(.seconds(30)) {
                        let rows = try await client.query("SELECT dk_complete(\(document)::jsonb)", logger: logger)
                        var accepted: Set<String> = []
                        for try await id in rows.decode(String.self) { accepted.insert(id) }
                        return accepted
                    }
                }
            } catch {
                guard clock.now - start < retryFor else {
                    store.logger.error("dk gave up completing \(entries.count) attempts: \(error)")
                    return []
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
            }
        }
    }
}
