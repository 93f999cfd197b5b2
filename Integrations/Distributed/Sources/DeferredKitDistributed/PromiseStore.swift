import DeferredKit
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle

// MARK: - PromiseStore

/// The database of durable promises, seen from one process: it submits graphs, cancels promises, and
/// bridges any durable promise to a local `Deferred`.
///
/// It is a `ServiceLifecycle` `Service`: `run()` runs the connection pool, the `LISTEN` connection and
/// the checker that delivers settlements to local waiters. Start it before (or with) anything that uses
/// it, and put it first in a `ServiceGroup` so that it stops last.
///
/// ```swift
/// let store = PromiseStore(settings: try .fromEnvironment())
/// let group = ServiceGroup(services: [store, DistributedWorker(store: store, handlers: [CountShard(), Sum()])],
///                          logger: logger)
/// ```
public final class PromiseStore: Service, Sendable {
    public let settings: PostgresSettings
    /// The pool the store queries through; handlers may use it for work outside a promise's transaction.
    public let client: PostgresClient
    let logger: Logger
    let pollInterval: Duration

    let waiters = SettlementWaiters()
    private let checkWakeup = Wakeup()
    private let readyObservers = NIOLockedValueBox<[UInt64: (names: Set<String>, wakeup: Wakeup)]>([:])
    private let observerCounter = NIOLockedValueBox<UInt64>(0)
    private let listenerConnections = NIOLockedValueBox<Int>(0)

    /// - Parameters:
    ///   - pollInterval: how often every awaited promise is looked up even without a notification (the
    ///     fallback for a lost `NOTIFY`).
    public init(settings: PostgresSettings, logger: Logger = Logger(label: "DeferredKitDistributed"),
                pollInterval: Duration = .seconds(1)) {
        self.settings = settings
        self.logger = logger
        self.pollInterval = pollInterval
        client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
    }

    // MARK: Running

    /// Runs the pool, the listener and the checker until the task is cancelled or a graceful shutdown
    /// is triggered. Local waiters still pending then stay pending until they are cancelled.
    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            await withDiscardingTaskGroup { group in
                group.addTask { await self.client.run() }
                group.addTask {
                    await NotificationListener(
                        settings: self.settings, logger: self.logger,
                        onListening: { [self] in self.listenerDidConnect() },
                        onNotification: { [self] payload in self.received(payload) }
                    ).run()
                }
                group.addTask { await self.checkLoop() }
            }
        }
    }

    /// How many times the listener has (re)connected and issued `LISTEN`; tests use it to wait for
    /// the listener to be in place.
    public var listenerConnectionCount: Int { listenerConnections.withLockedValue { $0 } }

    /// Creates the tables and functions if they are missing (and replaces the functions). Safe to call
    /// from several processes at once.
    public func installSchema() async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Schema.installLockKey))", logger: logger)
            for statement in Schema.statements {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
        }
    }

    // MARK: Submitting and cancelling

    /// Inserts `graph` in one transaction and returns how many promises were new.
    ///
    /// - Throws: `DistributedError.alreadyExists` when an id exists with another definition (nothing
    ///   of the graph is inserted then); `duplicateInGraph` when the graph itself defines an id twice.
    @discardableResult
    public func submit(_ graph: DistributedGraph) async throws -> Int {
        let document = try graph.document()
        do {
            return try await retryingConflicts {
                let rows = try await self.client.query("SELECT dk_submit(\(document)::jsonb)", logger: self.logger)
                var inserted = 0
                for try await count in rows.decode(Int.self) { inserted = count }
                return inserted
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "DK001" {
            throw DistributedError.alreadyExists(id: error.serverInfo?[.detail] ?? "")
        }
    }

    /// Builds a graph with `build` and submits it; returns what `build` returns (usually the final
    /// promise).
    ///
    /// ```swift
    /// let thumbnail = try await store.submit { graph in
    ///     graph.then(try graph.call(Fetch.self, id: "fetch/1", input: url), Resize.self, id: "resize/1")
    /// }
    /// ```
    public nonisolated(nonsending) func submit<Result>(_ build: (inout DistributedGraph) throws -> Result) async throws
        -> Result
    {
        var graph = DistributedGraph()
        let result = try build(&graph)
        try await submit(graph)
        return result
    }

    /// Cancels a durable promise that has not settled: it is rejected with a `.cancelled` failure, a
    /// running attempt loses its fence (its worker cancels the handler and its completion changes
    /// nothing), and dependents receive the failure (`recover` dependents may handle it).
    ///
    /// - Returns: whether this call settled it (false when it had already settled).
    @discardableResult
    public func cancel<Output>(_ promise: DistributedPromise<Output>) async throws -> Bool {
        try await retryingConflicts {
            let rows = try await self.client.query("SELECT dk_cancel(\(promise.id))", logger: self.logger)
            var cancelled = false
            for try await value in rows.decode(Bool.self) { cancelled = value }
            return cancelled
        }
    }

    // MARK: Awaiting

    /// A local `Deferred` that completes when the durable promise settles, whichever process settles it:
    /// resolved with the decoded output, or rejected with its `DistributedFailure` (or a decoding error).
    ///
    /// Each call makes a new waiter. Cancelling the returned Deferred (for instance by cancelling the
    /// task that awaits its `value`) withdraws only that waiter: the durable promise and other waiters
    /// are unaffected. The Deferred's observers run on the store's checker task.
    public func deferred<Output>(_ promise: DistributedPromise<Output>) -> Deferred<Output> {
        let id = promise.id
        let token = waiters.makeToken()
        let local = Deferred<Output>(canceller: { [waiters] _ in waiters.remove(id, token: token) })
        waiters.add(id, token: token) { outcome in
            switch outcome {
            case .success(let json):
                do { _ = local.resolve(try JSONCoding.decode(Output.self, from: json)) } catch { _ = local.reject(error) }
            case .failure(let failure):
                _ = local.reject(failure)
            }
        }
        checkWakeup.signal()
        return local
    }

    /// A snapshot of a promise's row, for diagnostics and tests; nil when there is no such promise.
    public func snapshot(_ id: String) async throws -> PromiseSnapshot? {
        let rows = try await client.query(
            """
            SELECT state, attempt, fence, worker, output::text, failure::text FROM dk_promise WHERE id = \(id)
            """, logger: logger)
        for try await (state, attempt, fence, worker, output, failure)
            in rows.decode((String, Int, Int64, String?, String?, String?).self)
        {
            return PromiseSnapshot(id: id, state: PromiseSnapshot.State(rawValue: state) ?? .waiting, attempt: attempt,
                                   fence: fence, worker: worker, outputJSON: output,
                                   failure: try failure.map { try JSONCoding.decode(DistributedFailure.self, from: $0) })
        }
        return nil
    }

    // MARK: Notifications

    private func listenerDidConnect() {
        listenerConnections.withLockedValue { $0 += 1 }
        // Anything may have settled or become ready while nobody listened.
        waiters.markEverything()
        checkWakeup.signal()
        for observer in readyObservers.withLockedValue({ Array($0.values) }) { observer.wakeup.signal() }
    }

    private func received(_ payload: String) {
        guard let tag = payload.first else { return }
        let name = String(payload.dropFirst())
        switch tag {
        case "s":
            if waiters.markSettled(name) { checkWakeup.signal() }
        case "r":
            for observer in readyObservers.withLockedValue({ Array($0.values) }) where observer.names.contains(name) {
                observer.wakeup.signal()
            }
        default:
            break
        }
    }

    /// Signals `wakeup` whenever a promise for one of `names` becomes ready (and after reconnects).
    func observeReady(_ names: Set<String>, wakeup: Wakeup) -> UInt64 {
        let token = observerCounter.withLockedValue { $0 += 1; return $0 }
        readyObservers.withLockedValue { $0[token] = (names, wakeup) }
        return token
    }

    func stopObservingReady(_ token: UInt64) {
        _ = readyObservers.withLockedValue { $0.removeValue(forKey: token) }
    }

    // MARK: Checking

    /// Looks up the marked ids after each wake-up, and every awaited id once per poll interval, on a
    /// connection of its own (reconnected with a time limit), so that the pool's recovery after a server
    /// restart never holds up the delivery of results.
    private func checkLoop() async {
        let clock = ContinuousClock()
        var lastFullCheck = clock.now
        var connection: PostgresConnection?
        var number = 1_000
        defer { if let closing = connection { Task { try? await closing.close() } } }
        while !Task.isCancelled {
            await checkWakeup.wait(timeout: pollInterval)
            let pollDue = clock.now - lastFullCheck >= pollInterval
            if pollDue { lastFullCheck = clock.now }
            let ids = waiters.takeIdsToCheck(everything: pollDue)
            guard !ids.isEmpty else { continue }
            do {
                if connection == nil || connection?.isClosed == true {
                    number += 1
                    let settings = settings, logger = logger, id = number
                    connection = try await withTimeLimit(.seconds(5)) {
                        try await PostgresConnection.connect(
                            on: MultiThreadedEventLoopGroup.singleton.any(),
                            configuration: settings.connectionConfiguration, id: id, logger: logger
                        ).get()
                    }
                }
                guard let current = connection else { continue }
                waiters.deliver(try await withTimeLimit(.seconds(30), abandonWhen: { current.isClosed }) {
                    try await self.settledOutcomes(ids, on: current)
                })
            } catch {
                if Task.isCancelled { return }
                logger.debug("dk checker query failed, will retry: \(NotificationListener.explain(error))")
                if let closing = connection { Task { try? await closing.close() } }
                connection = nil
                waiters.markEverything()
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private func settledOutcomes(_ ids: [String], on connection: PostgresConnection) async throws
        -> [String: SettlementWaiters.Outcome]
    {
        let rows = try await connection.query(
            """
            SELECT id, output::text, failure::text FROM dk_promise
            WHERE id = ANY(\(ids)::text[]) AND state IN ('resolved', 'rejected')
            """, logger: logger)
        var outcomes: [String: SettlementWaiters.Outcome] = [:]
        for try await (id, output, failure) in rows.decode((String, String?, String?).self) {
            if let failure {
                let decoded = (try? JSONCoding.decode(DistributedFailure.self, from: failure))
                    ?? DistributedFailure(kind: .failed, message: failure, promise: id)
                outcomes[id] = .failure(decoded)
            } else {
                outcomes[id] = .success(output ?? "null")
            }
        }
        return outcomes
    }

    // MARK: Conflicts

    /// Runs `body` again when the server aborted it for a deadlock or a serialization failure.
    func retryingConflicts<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as PSQLError where ["40P01", "40001"].contains(error.serverInfo?[.sqlState] ?? "") && attempt < 10 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...20) * attempt))
            }
        }
    }
}

// MARK: - PromiseSnapshot

/// A promise's row at one moment.
public struct PromiseSnapshot: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        case waiting, ready, running, resolved, rejected
    }

    public var id: String
    public var state: State
    /// Attempts started so far.
    public var attempt: Int
    public var fence: Int64
    /// The worker holding (or last holding) the lease.
    public var worker: String?
    public var outputJSON: String?
    public var failure: DistributedFailure?
}
