import Logging
import NIOCore
import NIOPosix
import PostgresNIO

// MARK: - NotificationListener

/// One dedicated connection per process that `LISTEN`s on the `dk` channel, reconnecting with backoff
/// whenever the connection drops (a server restart, a network cut).
///
/// NOTIFY is only a hint: a listener that was down misses notifications. So after every (re)connection,
/// once `LISTEN` is in place, `onListening` runs, and the store re-checks everything it waits for; its
/// polling fallback covers the rest.
struct NotificationListener: Sendable {
    let settings: PostgresSettings
    let logger: Logger
    let onListening: @Sendable () -> Void
    let onNotification: @Sendable (String) -> Void

    /// Listens until the task is cancelled.
    func run() async {
        var delay = Duration.milliseconds(50)
        var connectionNumber = 0
        while !Task.isCancelled {
            connectionNumber += 1
            do {
                let settings = settings, logger = logger, number = connectionNumber
                let connection = try await withTimeLimit(.seconds(5)) {
                    try await PostgresConnection.connect(
                        on: MultiThreadedEventLoopGroup.singleton.any(), configuration: settings.connectionConfiguration,
                        id: number, logger: logger
                    ).get()
                }
                do {
                    // Closing the connection is what ends the notification sequence on cancellation.
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: Schema.channel) { notifications in
                            delay = .milliseconds(50)
                            onListening()
                            for try await notification in notifications {
                                onNotification(notification.payload)
                            }
                        }
                    } onCancel: {
                        Task { try? await connection.close() }
                    }
                } catch {
                    if !Task.isCancelled { logger.info("dk listener lost its connection: \(Self.explain(error))") }
                }
                // Not awaited: closing a connection the server already dropped may never report back.
                Task { try? await connection.close() }
            } catch {
                if !Task.isCancelled { logger.debug("dk listener cannot connect yet: \(Self.explain(error))") }
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(1))
        }
    }

    /// The server's message or the connection error, for the logs (postgres-nio hides both by default).
    static func explain(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        let message = error.serverInfo?[.message] ?? ""
        let state = error.serverInfo?[.sqlState] ?? ""
        return "code=\(error.code) sqlstate=\(state) message=\(message) underlying=\(error.underlying.map { "\($0)" } ?? "none")"
    }
}
