import DeferredKit
import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle

// MARK: - DistributedWorker

/// A `ServiceLifecycle` `Service` that claims ready promises for the handlers it registered and runs
/// them, at most `concurrency` at a time (a `DeferredSemaphore` holds the slots).
///
/// - Claiming: `dk_claim` takes up to as many ready promises as there are free slots (at most
///   `batchSize`) with `FOR UPDATE SKIP LOCKED`, so workers never wait for each other; each attempt gets
///   a new fence and a lease.
/// - Waking: a `NOTIFY` that a promise for one of its handlers became ready wakes the claim loop; it also
///   polls every `pollInterval` (retries with backoff, missed notifications).
/// - Heartbeat: every `heartbeatInterval` the leases of all running attempts are renewed in one
///   statement. An attempt whose fence moved on (the promise timed out, was cancelled, or its lease
///   expired and another worker took it) is lost: its handler's task is cancelled and its result dropped.
/// - Completing: results go out in batches (`CompletionBatcher`); an attempt whose handler used
///   `context.transaction` completes inside that transaction instead, which commits only if the fence
///   still holds.
/// - Shutdown: on graceful shutdown the worker stops claiming and lets running attempts finish; on
///   cancellation the handlers are cancelled and their promises are left to lease expiry (a handler
///   that fails because the worker was cancelled does not reject its promise).
public final class DistributedWorker: Service, Sendable {
    /// Written to each claimed row (`worker`); defaults to host name and process id.
    public let name: String
    let store: PromiseStore
    let handlers: [String: ErasedHandler]
    let slots: DeferredSemaphore
    let batchSize: Int
    let heartbeatInterval: Duration
    let pollInterval: Duration
    let completions: CompletionBatcher

    private let wakeup = Wakeup()
    private let running = NIOLockedValueBox<[String: RunningAttempt]>([:])
    private let stopping = NIOLockedValueBox(false)
    private let counters = NIOLockedValueBox(Statistics())

    struct RunningAttempt {
        var fence: Int64
        var task: Task<String, any Error>?
        var lost = false
    }

    /// What a worker has done so far.
    public struct Statistics: Sendable, Hashable {
        public var claimed = 0
        public var completed = 0
        /// Completions refused because the fence had moved on (their transactions rolled back).
        public var fencedOut = 0
        /// Attempts whose lease was lost while the handler ran (the handler was cancelled).
        public var lost = 0
        public var claimQueries = 0
    }

    /// - Parameters:
    ///   - handlers: the handlers this worker runs; it claims only promises naming them.
    ///   - concurrency: the most handlers running at once.
    ///   - batchSize: the most promises claimed, or completions sent, in one statement.
    public init(store: PromiseStore, handlers: [any DistributedHandler], name: String? = nil, concurrency: Int = 8,
                batchSize: Int = 16, heartbeatInterval: Duration = .seconds(1), pollInterval: Duration = .milliseconds(500))
    {
        precondition(concurrency >= 1, "DistributedWorker: concurrency must be at least 1 (got \(concurrency))")
        precondition(batchSize >= 1, "DistributedWorker: batchSize must be at least 1 (got \(batchSize))")
        self.name = name ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
        self.store = store
        var byName: [String: ErasedHandler] = [:]
        for handler in handlers {
            let erased = ErasedHandler(handler)
            precondition(byName[erased.name] == nil, "DistributedWorker: two handlers are named \(erased.name)")
            byName[erased.name] = erased
        }
        self.handlers = byName
        slots = DeferredSemaphore(tokens: concurrency)
        self.batchSize = batchSize
        self.heartbeatInterval = heartbeatInterval
        self.pollInterval = pollInterval
        completions = CompletionBatcher(store: store, batchSize: batchSize)
    }

    public var statistics: Statistics { counters.withLockedValue { $0 } }

    // MARK: Running

    /// Claims and runs promises until a graceful shutdown (then drains) or cancellation.
    public func run() async throws {
        let token = store.observeReady(Set(handlers.keys), wakeup: wakeup)
        defer { store.stopObservingReady(token) }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.heartbeatLoop() }
                group.addTask { await self.claimLoop() }
                await group.next()   // the claim loop ends only after its attempts finished
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopping.withLockedValue { $0 = true }
            self.wakeup.signal()
        }
    }

    private var isStopping: Bool { stopping.withLockedValue { $0 } || Task.isCancelled }

    private func claimLoop() async {
        await withDiscardingTaskGroup { group in
            while !isStopping {
                do {
                    try await slots.acquire().value
                } catch {
                    break
                }
                var tokens = 1
                // Only this loop acquires, so a free token is handed over at once.
                while tokens < batchSize, slots.availableTokens > 0, slots.acquire().isComplete { tokens += 1 }
                let claims: [Claim]
                do {
                    claims = try await claim(limit: tokens)
                } catch {
                    for _ in 0..<tokens { slots.release() }
                    if !isStopping { store.logger.debug("dk claim failed, will retry: \(error)") }
                    await wakeup.wait(timeout: .milliseconds(100))
                    continue
                }
                for _ in claims.count..<tokens { slots.release() }
                if claims.isEmpty {
                    await wakeup.wait(timeout: pollInterval)
                    continue
                }
                for claim in claims {
                    group.addTask { await self.execute(claim) }   // releases its slot when the attempt is over
                }
            }
        }
        // The attempts' tasks are over; some completions may still be on their way.
        await completions.drain()
    }

    // MARK: Claiming

    struct Claim: Sendable {
        var id: String
        var handler: String
        var inputJSON: String
        var fence: Int64
        var attempt: Int
    }

    private func claim(limit: Int) async throws -> [Claim] {
        let names = Array(handlers.keys), client = store.client, logger = store.logger, worker = name
        let claims = try await withTimeLimit(.seconds(30)) {
            let rows = try await client.query(
                """
                SELECT id, handler, input, fence, attempt FROM dk_claim(\(names)::text[], \(worker), \(limit)::integer)
                """, logger: logger)
            var claims: [Claim] = []
            for try await (id, handler, input, fence, attempt) in rows.decode((String, String, String?, Int64, Int).self) {
                claims.append(Claim(id: id, handler: handler, inputJSON: input ?? "null", fence: fence, attempt: attempt))
            }
            return claims
        }
        counters.withLockedValue {
            $0.claimed += claims.count
            $0.claimQueries += 1
        }
        return claims
    }

    // MARK: Running one attempt

    /// Runs one attempt and completes it; its slot is released when the attempt is over (for a batched
    /// completion, by the batcher once the batch's statement returned).
    private func execute(_ claim: Claim) async {
        guard let handler = handlers[claim.handler] else {   // dk_claim returns only our names
            slots.release()
            return
        }
        let session = TransactionSession(settings: store.settings, logger: store.logger)
        let context = DistributedContext(promiseID: claim.id, attempt: claim.attempt, logger: store.logger,
                                         session: session)
        running.withLockedValue { $0[claim.id] = RunningAttempt(fence: claim.fence) }
        let task = Task { try await handler.run(claim.inputJSON, context) }
        let lostAlready = running.withLockedValue { running in
            running[claim.id]?.task = task
            return running[claim.id]?.lost ?? true
        }
        if lostAlready { task.cancel() }
        let result = await withTaskCancellationHandler { await task.result } onCancel: { task.cancel() }
        let lost = running.withLockedValue { $0.removeValue(forKey: claim.id)?.lost ?? true }
        store.logger.debug("dk attempt ended", metadata: ["promise": "\(claim.id)", "lost": "\(lost)",
                                                          "succeeded": "\((try? result.get()) != nil)"])
        if lost || (isStopping && (try? result.get()) == nil) {
            // Lost: the fence moved on. Stopping: the failure may be the shutdown's; let the lease expire.
            await session.abandon()
            if lost { counters.withLockedValue { $0.lost += 1 } }
            slots.release()
            return
        }
        var entry = CompletionBatcher.Entry(id: claim.id, fence: claim.fence)
        switch result {
        case .success(let output):
            entry.outputJSON = output
        case .failure(let error):
            var failure = (error as? DistributedFailure)
                ?? DistributedFailure(kind: .failed, message: String(describing: error), promise: claim.id)
            if failure.promise == nil { failure.promise = claim.id }
            entry.failureJSON = (try? JSONCoding.encode(failure)) ?? #"{"kind":"failed","message":"unencodable"}"#
        }
        if session.isOpen {
            let accepted = (try? await session.finish(completionJSON: JSONCoding.completionDocument([entry]))) ?? false
            completed(accepted: accepted)
        } else {
            completions.submit(entry) { accepted in self.completed(accepted: accepted) }
        }
    }

    private func completed(accepted: Bool) {
        counters.withLockedValue { accepted ? ($0.completed += 1) : ($0.fencedOut += 1) }
        slots.release()
    }

    // MARK: Heartbeat

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: heartbeatInterval)
            let held = running.withLockedValue { running in
                running.filter { !$0.value.lost }.map { (id: $0.key, fence: $0.value.fence) }
            }
            guard !held.isEmpty else { continue }
            do {
                let document = JSONCoding.heartbeatDocument(held)
                let client = store.client, logger = store.logger
                let kept = try await withTimeLimit(.seconds(10)) {
                    let rows = try await client.query("SELECT dk_heartbeat(\(document)::jsonb)", logger: logger)
                    var kept: Set<String> = []
                    for try await id in rows.decode(String.self) { kept.insert(id) }
                    return kept
                }
                for attempt in held where !kept.contains(attempt.id) {
                    let task: Task<String, any Error>? = running.withLockedValue { running in
                        guard running[attempt.id]?.fence == attempt.fence else { return nil }
                        running[attempt.id]?.lost = true
                        return running[attempt.id]?.task
                    }
                    task?.cancel()   // outside the lock
                }
            } catch {
                if !Task.isCancelled { store.logger.debug("dk heartbeat failed, will retry: \(error)") }
            }
        }
    }
}
