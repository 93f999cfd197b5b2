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

    private struct State {
        var queue: [(Entry, CheckedContinuation<Bool, Never>)] = []
        var flushing = false
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

    /// Completes one attempt; returns whether its fence held and it settled the promise.
    func complete(_ entry: Entry) async -> Bool {
        await withCheckedContinuation { continuation in
            let startFlusher: Bool = state.withLockedValue { state in
                state.queue.append((entry, continuation))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if startFlusher {
                Task { await self.flushUntilEmpty() }
            }
        }
    }

    private func flushUntilEmpty() async {
        while true {
            let batch: [(Entry, CheckedContinuation<Bool, Never>)] = state.withLockedValue { state in
                let batch = Array(state.queue.prefix(batchSize))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            let accepted = await send(batch.map(\.0))
            for (entry, continuation) in batch { continuation.resume(returning: accepted.contains(entry.id)) }
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
