import Logging
import NIOConcurrencyHelpers
import NIOPosix
import PostgresNIO
import ServiceLifecycle

// MARK: - DistributedSweeper

/// The maintenance loop: rejects promises past their deadline (with `.timedOut`; their dependents
/// receive it) and returns attempts whose lease expired to the ready state with backoff, or rejects
/// them (`.attemptsExhausted`) when no attempt is left.
///
/// Run one in as many processes as you like: only the one holding the session-level advisory lock
/// sweeps (the leader). The lock lives on the sweeper's own connection, so when the leader's process
/// dies, or its connection drops, the server releases it and another sweeper takes over on its next
/// tick.
public final class DistributedSweeper: Service, Sendable {
    let store: PromiseStore
    let interval: Duration
    private let leading = NIOLockedValueBox(false)
    private let swept = NIOLockedValueBox(0)

    public init(store: PromiseStore, interval: Duration = .seconds(1)) {
        self.store = store
        self.interval = interval
    }

    /// Whether this sweeper holds the leader lock right now.
    public var isLeader: Bool { leading.withLockedValue { $0 } }

    /// Promises this sweeper has timed out or returned to the queue so far.
    public var sweptCount: Int { swept.withLockedValue { $0 } }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            await self.loop()
        }
    }

    private func loop() async {
        var connection: PostgresConnection?
        var number = 0
        while !Task.isCancelled {
            do {
                if connection == nil || connection?.isClosed == true {
                    leading.withLockedValue { $0 = false }
                    number += 1
                    let settings = store.settings, logger = store.logger, id = number
                    connection = try await withTimeLimit(.seconds(5)) {
                        try await PostgresConnection.connect(
                            on: MultiThreadedEventLoopGroup.singleton.any(),
                            configuration: settings.connectionConfiguration, id: id, logger: logger
                        ).get()
                    }
                }
                guard let connection else { continue }
                let logger = store.logger
                if !isLeader {
                    let acquired = try await withTimeLimit(.seconds(10)) {
                        let rows = try await connection.query(
                            "SELECT pg_try_advisory_lock(\(Schema.sweeperLockKey))", logger: logger)
                        var acquired = false
                        for try await value in rows.decode(Bool.self) { acquired = value }
                        return acquired
                    }
                    if acquired { leading.withLockedValue { $0 = true } }
                }
                if isLeader {
                    let count = try await withTimeLimit(.seconds(10)) {
                        let rows = try await connection.query("SELECT dk_sweep()", logger: logger)
                        var count = 0
                        for try await value in rows.decode(Int.self) { count = value }
                        return count
                    }
                    swept.withLockedValue { $0 += count }
                }
            } catch {
                if !Task.isCancelled {
                    store.logger.debug("dk sweeper lost its connection: \(NotificationListener.explain(error))")
                }
                leading.withLockedValue { $0 = false }
                // Closing drops the leader lock with the session; not awaited (see NotificationListener).
                if let closing = connection { Task { try? await closing.close() } }
                connection = nil
            }
            try? await Task.sleep(for: interval)
        }
        leading.withLockedValue { $0 = false }
        if let closing = connection { Task { try? await closing.close() } }
    }
}
