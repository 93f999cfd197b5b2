import DeferredKit
import Logging

// MARK: - Installing

extension DeferredDiagnostics {
    /// Sends every DeferredKit diagnostic event to `logger`, replacing the current handler.
    ///
    /// Levels: an unhandled error and an abandoned Deferred are warnings; a double completion and a
    /// completion by a non-owner are errors (see `DeferredDiagnostics.Event.logLevel`). Each record's
    /// source location is the event's call site (where the Deferred was created, or where the faulty
    /// completion was attempted), its source is "DeferredKit", and its metadata is described at
    /// `DeferredDiagnostics.Event.logMetadata`. The handler runs on whichever thread reports the event,
    /// as `Logger` allows.
    ///
    /// ```swift
    /// DeferredDiagnostics.log(to: Logger(label: "com.example.app.deferred"))
    /// ```
    public static func log(to logger: Logger) {
        setHandler(logHandler(for: logger))
    }

    /// The handler `log(to:)` installs, for composing with a handler of your own.
    ///
    /// ```swift
    /// let logIt = DeferredDiagnostics.logHandler(for: logger)
    /// DeferredDiagnostics.setHandler { event in logIt(event); metrics.count(event) }
    /// ```
    public static func logHandler(for logger: Logger) -> @Sendable (Event) -> Void {
        { event in event.log(to: logger) }
    }
}

// MARK: - One event as a log record

extension DeferredDiagnostics.Event {
    /// The level the event is logged at: `.warning` for an unhandled error and for an abandoned
    /// Deferred, `.error` for a double completion and for a completion by a non-owner.
    public var logLevel: Logger.Level {
        switch kind {
        case .unhandledError, .abandoned: .warning
        case .completedTwice, .completedByNonOwner: .error
        }
    }

    /// A short message saying what went wrong; the details are in `logMetadata`.
    public var logMessage: Logger.Message {
        switch kind {
        case .unhandledError: "Deferred rejected with an error that nobody received"
        case .completedTwice: "Deferred completed twice; the second completion was ignored"
        case .completedByNonOwner: "Deferred completed from outside the library that owns it; the completion was ignored"
        case .abandoned: "Pending Deferred abandoned; its dependents received DeferredAbandonedError"
        }
    }

    /// The value of the `deferred.diagnostic` metadata key.
    public var diagnosticName: String {
        switch kind {
        case .unhandledError: "unhandled_error"
        case .completedTwice: "completed_twice"
        case .completedByNonOwner: "completed_by_non_owner"
        case .abandoned: "abandoned"
        }
    }

    /// The record's metadata, with keys in swift-log style (lowercase, dotted namespaces, snake_case):
    ///
    /// - `deferred.diagnostic`: `unhandled_error`, `completed_twice`, `completed_by_non_owner` or `abandoned`;
    /// - `deferred.created_at`: where the Deferred was created, as `Module/File.swift:line` (every event);
    /// - `deferred.completed_at`: where the ignored completion was attempted (completed twice, by a
    ///   non-owner), and `deferred.first_completed_at`: where it was first completed, when known;
    /// - `error.type` and `error.message`: the unhandled error (the record also carries it as its `error`).
    public var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "deferred.diagnostic": .string(diagnosticName),
            "deferred.created_at": "\(creationSite)",
        ]
        switch kind {
        case .unhandledError(let error):
            metadata["error.type"] = "\(String(reflecting: type(of: error)))"
            metadata["error.message"] = "\(String(describing: error))"
        case .completedTwice, .completedByNonOwner:
            metadata["deferred.completed_at"] = "\(site)"
            if let first = firstCompletionSite { metadata["deferred.first_completed_at"] = "\(first)" }
        case .abandoned:
            break
        }
        return metadata
    }

    /// The error the event carries, if any.
    var loggedError: (any Error)? {
        if case .unhandledError(let error) = kind { return error }
        return nil
    }

    /// Logs the event to `logger`, at the event's site: where the Deferred was created (unhandled error,
    /// abandoned) or where the ignored completion was attempted.
    func log(to logger: Logger) {
        logger.log(
            level: logLevel, logMessage, error: loggedError, metadata: logMetadata,
            source: "DeferredKit", file: site.fileID, function: "", line: site.line)
    }
}
