import DeferredKit
import DeferredKitLogging
import Logging
import Testing

struct DiskFullError: Error, CustomStringConvertible {
    var description: String { "disk full" }
}

/// Drops a rejected Deferred that nobody observed; returns the line it was created on.
func dropUnobservedRejection() -> UInt {
    let line: UInt = #line + 1
    _ = Deferred<Int>.rejected(DiskFullError())
    return line
}

// MARK: - DeferredDiagnostics.log(to:)

// The diagnostics handler is process-wide: these tests take turns, and restore the default at the end.
@Suite("DeferredDiagnostics.log(to:)", .serialized)
struct DiagnosticsLoggingTests {
    @Test("an unhandled error is a warning, with the creation site and the error in the metadata")
    func unhandledErrorIsAWarning() throws {
        let store = RecordStore()
        DeferredDiagnostics.log(to: recordingLogger(store))
        defer { DeferredDiagnostics.resetHandler() }

        let line = dropUnobservedRejection()

        let record = try #require(store.all.only)
        let site = "DeferredKitLoggingTests/DiagnosticsLoggingTests.swift:\(line)"
        #expect(record.level == .warning)
        #expect(record.metadata["deferred.diagnostic"] == "unhandled_error")
        #expect(record.metadata["deferred.created_at"] == .string(site))
        #expect(record.metadata["error.type"] == "DeferredKitLoggingTests.DiskFullError")
        #expect(record.metadata["error.message"] == "disk full")
        #expect(record.error == "disk full")
        #expect(record.source == "DeferredKit")
        #expect(record.file == "DeferredKitLoggingTests/DiagnosticsLoggingTests.swift")
        #expect(record.line == line)
    }

    @Test("a double completion is an error, with both completion sites")
    func completedTwiceIsAnError() throws {
        let store = RecordStore()
        DeferredDiagnostics.log(to: recordingLogger(store))
        defer { DeferredDiagnostics.resetHandler() }

        let createdLine: UInt = #line + 1
        let deferred = Deferred<Int>()
        let firstLine: UInt = #line + 1
        deferred.resolve(1)
        let secondLine: UInt = #line + 1
        deferred.resolve(2)

        let record = try #require(store.all.only)
        let file = "DeferredKitLoggingTests/DiagnosticsLoggingTests.swift"
        #expect(record.level == .error)
        #expect(record.metadata["deferred.diagnostic"] == "completed_twice")
        #expect(record.metadata["deferred.completed_at"] == .string("\(file):\(secondLine)"))
        #expect(record.metadata["deferred.first_completed_at"] == .string("\(file):\(firstLine)"))
        #expect(record.metadata["deferred.created_at"] == .string("\(file):\(createdLine)"))
        #expect(record.line == secondLine)
    }

    @Test("a completion by a non-owner is an error, with where it was attempted and where the Deferred was made")
    func completedByNonOwnerIsAnError() throws {
        let store = RecordStore()
        DeferredDiagnostics.log(to: recordingLogger(store))
        defer { DeferredDiagnostics.resetHandler() }

        let source = Deferred<Int>()
        let createdLine: UInt = #line + 1
        let derived = source.map { $0 + 1 }  // owned by the library
        let attemptLine: UInt = #line + 1
        #expect(!derived.resolve(5))

        let record = try #require(store.all.only)
        let file = "DeferredKitLoggingTests/DiagnosticsLoggingTests.swift"
        #expect(record.level == .error)
        #expect(record.metadata["deferred.diagnostic"] == "completed_by_non_owner")
        #expect(record.metadata["deferred.completed_at"] == .string("\(file):\(attemptLine)"))
        #expect(record.metadata["deferred.created_at"] == .string("\(file):\(createdLine)"))
        #expect(record.line == attemptLine)
        source.resolve(1)
    }

    @Test("an abandoned Deferred is a warning, with its creation site")
    func abandonedIsAWarning() throws {
        let store = RecordStore()
        DeferredDiagnostics.log(to: recordingLogger(store))
        defer { DeferredDiagnostics.resetHandler() }

        let createdLine: UInt = #line + 1
        var producer: Deferred<Int>? = Deferred<Int>()
        let dependent = producer!.map { $0 }
        producer = nil  // freed while pending: its dependent receives DeferredAbandonedError
        #expect(throws: DeferredAbandonedError.self) { try dependent.result?.get() }

        let record = try #require(store.all.first { $0.metadata["deferred.diagnostic"] == "abandoned" })
        #expect(record.level == .warning)
        #expect(record.metadata["deferred.created_at"] == .string("DeferredKitLoggingTests/DiagnosticsLoggingTests.swift:\(createdLine)"))
        #expect(record.line == createdLine)
    }

    @Test("the logger's own level filters: at .error, an unhandled error (a warning) is not logged")
    func loggerLevelFilters() {
        let store = RecordStore()
        DeferredDiagnostics.log(to: recordingLogger(store, level: .error))
        defer { DeferredDiagnostics.resetHandler() }

        _ = dropUnobservedRejection()
        let deferred = Deferred<Int>()
        deferred.resolve(1)
        deferred.resolve(2)

        #expect(store.all.map(\.level) == [.error])
    }

    @Test("handled errors and cancellations are not logged")
    func handledErrorsAreQuiet() {
        let store = RecordStore()
        DeferredDiagnostics.log(to: recordingLogger(store))
        defer { DeferredDiagnostics.resetHandler() }

        let observed = Deferred<Int>()
        observed.whenComplete { _ in }
        observed.reject(DiskFullError())
        let cancelled = Deferred<Int>()
        cancelled.cancel()

        #expect(store.all.isEmpty)
    }

    @Test("logHandler(for:) composes with a handler of one's own")
    func composes() {
        let store = RecordStore()
        let counted = RecordStore()
        let logIt = DeferredDiagnostics.logHandler(for: recordingLogger(store))
        DeferredDiagnostics.setHandler { event in
            logIt(event)
            counted.append(Record(level: .trace, message: "\(event)", metadata: [:], source: "", file: "", line: 0, error: nil))
        }
        defer { DeferredDiagnostics.resetHandler() }

        _ = dropUnobservedRejection()

        #expect(store.all.count == 1)
        #expect(counted.all.count == 1)
    }
}

extension Array {
    /// The single element, or `nil` when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
