import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

// MARK: - DistributedContext

/// What a handler knows about the attempt it runs, and its door to exactly-once database writes.
///
/// ```swift
/// func run(_ order: Order, context: DistributedContext) async throws -> Receipt {
///     try await context.transaction { db in
///         try await db.query("INSERT INTO shipments (order_id) VALUES (\(order.id))")
///     }
///     try await payments.charge(order, idempotencyKey: context.idempotencyKey)   // at-least-once
///     return Receipt(order: order.id)
/// }
/// ```
public struct DistributedContext: Sendable {
    /// The promise being run.
    public let promiseID: String
    /// 1 for the first attempt, 2 for the first retry, …
    public let attempt: Int
    /// A key that is the same on every attempt of this promise and different for every other promise:
    /// give it to external services that deduplicate requests. Without such a service, an external
    /// effect is at-least-once: a worker can die after the effect and before the completion commits.
    public var idempotencyKey: String { "dk:\(promiseID)" }
    public let logger: Logger

    let session: TransactionSession

    // MARK: Exactly-once writes

    /// Runs `body` on a connection inside the transaction that will also complete this attempt.
    ///
    /// Writes made here commit if and only if the attempt's completion commits: when the attempt lost
    /// its fence (lease expired, promise timed out or was cancelled, another worker took over), the whole
    /// transaction rolls back and the writes vanish. So they happen exactly once per promise.
    ///
    /// Each call is a savepoint: when `body` throws, its own writes are rolled back and the error is
    /// rethrown; earlier calls' writes stay. Calls run one at a time on the same connection, which stays
    /// open (and the transaction with it, holding its row locks) until the handler returns.
    ///
    /// - Throws: what `body` throws, or the connection's error.
    @discardableResult
    public func transaction<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await session.run(body)
    }
}

// MARK: - TransactionSession

/// The lazily opened transaction of one attempt. The first `transaction` call opens a connection and
/// runs `BEGIN` on a task of its own; later calls run on that connection in turn; `finish` runs the
/// fenced completion in the same transaction and commits, or rolls back when the fence is stale.
final class TransactionSession: Sendable {
    private enum Command: Sendable {
        case run(@Sendable (PostgresConnection) async -> Void, fail: @Sendable (any Error) -> Void)
        case finish(completionJSON: String, CheckedContinuation<Bool, any Error>)
    }

    private struct State {
        var commands: AsyncStream<Command>.Continuation?
        var task: Task<Void, Never>?
    }

    private let settings: PostgresSettings
    private let logger: Logger
    private let state = NIOLockedValueBox(State())

    init(settings: PostgresSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Whether a `transaction` call opened the session.
    var isOpen: Bool { state.withLockedValue { $0.commands != nil } }

    func run<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws
        -> Result
    {
        let commands = open()
        return try await withCheckedThrowingContinuation { continuation in
            commands.yield(.run({ connection in
                do {
                    // A query on a connection the server closed can wait forever (see `withTimeLimit`).
                    guard !connection.isClosed else { throw TransactionSessionError.connectionLost }
                    let logger = self.logger
                    try await withTimeLimit(.seconds(10)) {
                        try await connection.query("SAVEPOINT dk_handler", logger: logger)
                    }
                    // The handler's own queries have no time limit, but they end when the connection does.
                    let value = try await withTimeLimit(.seconds(24 * 3600), abandonWhen: { connection.isClosed }) {
                        try await body(connection)
                    }
                    try await withTimeLimit(.seconds(10)) {
                        try await connection.query("RELEASE SAVEPOINT dk_handler", logger: logger)
                    }
                    continuation.resume(returning: value)
                } catch {
                    if !connection.isClosed {
                        let logger = self.logger
                        _ = try? await withTimeLimit(.seconds(10)) {
                            try await connection.query("ROLLBACK TO SAVEPOINT dk_handler", logger: logger)
                        }
                    }
                    continuation.resume(throwing: error)
                }
            }, fail: { error in continuation.resume(throwing: error) }))
        }
    }

    /// Completes the attempt inside the transaction; returns whether the fence held (committed).
    func finish(completionJSON: String) async throws -> Bool {
        guard let commands = state.withLockedValue({ $0.commands }) else { return false }
        let accepted = try await withCheckedThrowingContinuation { continuation in
            commands.yield(.finish(completionJSON: completionJSON, continuation))
            commands.finish()
        }
        await state.withLockedValue { $0.task }?.value
        return accepted
    }

    /// Rolls back an open session without completing (the attempt was lost or abandoned).
    func abandon() async {
        let (commands, task) = state.withLockedValue { ($0.commands, $0.task) }
        commands?.finish()
        await task?.value
    }

    private func open() -> AsyncStream<Command>.Continuation {
        state.withLockedValue { state in
            if let commands = state.commands { return commands }
            let (stream, commands) = AsyncStream.makeStream(of: Command.self)
            state.commands = commands
            let settings = settings, logger = logger
            state.task = Task {
                await TransactionSession.serve(stream, settings: settings, logger: logger)
            }
            return commands
        }
    }

    private static func serve(_ stream: AsyncStream<Command>, settings: PostgresSettings, logger: Logger) async {
        do {
            // A connection of its own rather than one from the pool: connecting has a time limit, while
            // waiting for a pool lease during a server restart can last forever.
            let connection = try await withTimeLimit(.seconds(5)) {
                try await PostgresConnection.connect(
                    on: MultiThreadedEventLoopGroup.singleton.any(), configuration: settings.connectionConfiguration,
                    id: 0, logger: logger
                ).get()
            }
            defer { Task { try? await connection.close() } }
            try await withTimeLimit(.seconds(10)) { try await connection.query("BEGIN", logger: logger) }
            logger.debug("dk transaction session began")
            for await command in stream {
                switch command {
                case .run(let body, _):
                    await body(connection)
                case .finish(let completionJSON, let continuation):
                    do {
                        guard !connection.isClosed else { throw TransactionSessionError.connectionLost }
                        let accepted = try await withTimeLimit(.seconds(30)) {
                            let rows = try await connection.query(
                                "SELECT dk_complete(\(completionJSON)::jsonb)", logger: logger)
                            var accepted = false
                            for try await _ in rows.decode(String.self) { accepted = true }
                            // A stale fence: roll back, so the handler's writes vanish with it.
                            try await connection.query(accepted ? "COMMIT" : "ROLLBACK", logger: logger)
                            return accepted
                        }
                        logger.debug("dk transaction session completed", metadata: ["accepted": "\(accepted)"])
                        continuation.resume(returning: accepted)
                    } catch {
                        logger.debug("dk transaction session could not complete: \(NotificationListener.explain(error))")
                        continuation.resume(throwing: error)
                    }
                    return   // closing the connection rolls back whatever did not commit
                }
            }
            // Abandoned: closing the connection rolls the transaction back.
            return
        } catch {
            logger.debug("dk transaction session failed: \(NotificationListener.explain(error))")
        }
        // The connection failed: everything still queued (and anything sent later) fails, so no caller
        // waits forever. The stream is read by one loop at a time: the one above has ended.
        for await command in stream {
            switch command {
            case .run(_, let fail):
                fail(TransactionSessionError.connectionLost)
            case .finish(_, let continuation):
                continuation.resume(throwing: TransactionSessionError.connectionLost)
            }
        }
    }
}

/// The transaction's connection failed before the command could run.
enum TransactionSessionError: Error {
    case connectionLost
}
