@testable import DeferredKit
import Synchronization

// MARK: - Test support

/// An error that tests can compare.
struct TestError: Error, Equatable {
    let id: Int
    init(_ id: Int) { self.id = id }
}

/// The value of a completed Deferred, or `nil`.
func valueOf<T>(_ d: Deferred<T>) -> T? {
    if case .success(let v)? = d.result { return v }
    return nil
}

/// The error of a completed Deferred, or `nil`.
func errorOf<T>(_ d: Deferred<T>) -> (any Error)? {
    if case .failure(let e)? = d.result { return e }
    return nil
}

func isCancelled<T>(_ d: Deferred<T>) -> Bool {
    errorOf(d) is CancellationError
}

/// A Deferred that something else also depends on, so that withdrawing from it never cancels it.
/// The extra dependent is a `map`, which stays pending (and withdrawable) as long as the source is.
func wantedElsewhere<T>(_ d: Deferred<T>) -> Deferred<T> {
    let keeper = d.map { $0 }
    KeepAlive.shared.hold(keeper)
    return d
}

final class KeepAlive: Sendable {
    static let shared = KeepAlive()
    private let held = Mutex<[any AnyObject & Sendable]>([])
    func hold(_ object: any AnyObject & Sendable) { held.withLock { $0.append(object) } }
}

/// Counts calls, for callbacks that must (or must not) run.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Records diagnostics events; install it inside a `.serialized` suite only, and reset the handler after.
final class DiagnosticsRecorder: Sendable {
    private let events = Mutex<[DeferredDiagnostics.Event]>([])

    func install() {
        DeferredDiagnostics.setHandler { [self] event in events.withLock { $0.append(event) } }
    }

    /// Unhandled-error events for Deferreds created in the calling test file.
    func unhandled(fileID: String = #fileID) -> [DeferredDiagnostics.Event] {
        events.withLock { $0 }.filter { event in
            if case .unhandledError = event.kind { return event.site.fileID == fileID }
            return false
        }
    }
}
