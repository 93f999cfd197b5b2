#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// What a `RecordingLogHandler` received.
struct Record: Sendable {
    let level: Logger.Level
    let message: String
    let metadata: Logger.Metadata
    let source: String
    let file: String
    let line: UInt
    let error: String?
}

/// The records of every `RecordingLogHandler` made from it, behind a pthread mutex (seen by TSan).
final class RecordStore: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var records: [Record] = []

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func append(_ record: Record) {
        pthread_mutex_lock(&mutex)
        records.append(record)
        pthread_mutex_unlock(&mutex)
    }

    var all: [Record] {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return records
    }
}

/// A swift-log handler that keeps what it is given.
struct RecordingLogHandler: LogHandler {
    let store: RecordStore
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        store.append(Record(
            level: event.level, message: event.message.description,
            metadata: metadata.merging(event.metadata ?? [:]) { $1 }, source: event.source,
            file: event.file, line: event.line, error: event.error.map { String(describing: $0) }))
    }
}

/// A logger that records into `store`, at `level`.
func recordingLogger(_ store: RecordStore, level: Logger.Level = .trace) -> Logger {
    var logger = Logger(label: "test.deferred") { _ in RecordingLogHandler(store: store) }
    logger.logLevel = level
    return logger
}
