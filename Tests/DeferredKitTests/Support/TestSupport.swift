import Synchronization
import Testing
@testable import DeferredKit

/// An error whose identity lets a test find its own diagnostics among those of tests running in parallel.
struct TestError: Error, Equatable {
    let id: Int
    init(_ id: Int = 0) { self.id = id }
}

/// A value behind the library's lock (which ThreadSanitizer understands; `Synchronization.Mutex` on Linux
/// waits in an uninstrumented futex and draws false reports).
final class Locked<State: Sendable>: @unchecked Sendable {
    private let lock = InternalLock()
    private var state: State
    init(_ state: State) { self.state = state }
    func withLock<R>(_ body: (inout State) -> R) -> R { lock.withLock { body(&state) } }
}

/// A thread-safe list that observers append to.
final class Recorder<Element: Sendable>: Sendable {
    private let items = Locked<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

/// A thread-safe counter.
final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    @discardableResult func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
    var count: Int { value.load(ordering: .relaxed) }
}

/// Collects every diagnostic event for the whole test process. Tests find theirs by error identity or site,
/// because tests run in parallel and the handler is global.
enum DiagnosticsSpy {
    private static let events = Locked<[DeferredDiagnostics.Event]>([])
    /// How many events of each kind each site reported, for checks that run after every step.
    private static let counts = Locked<[SiteKind: Int]>([:])
    private static let installed: Void = {
        DeferredDiagnostics.setHandler { event in
            DiagnosticsSpy.events.withLock { $0.append(event) }
            let key = SiteKind(kind: KindName(event.kind), site: event.site)
            DiagnosticsSpy.counts.withLock { $0[key, default: 0] += 1 }
        }
    }()

    private struct SiteKind: Hashable {
        let kind: KindName
        let site: DeferredCallSite
    }

    /// How many events of `kind` were reported at `site` (the misuse site, or the creation site), in O(1).
    static func count(_ kind: KindName, at site: DeferredCallSite) -> Int {
        counts.withLock { $0[SiteKind(kind: kind, site: site)] ?? 0 }
    }

    static func install() { _ = installed }

    static func unhandledErrors(withID id: Int) -> [DeferredDiagnostics.Event] {
        events.withLock { list in
            list.filter { event in
                if case .unhandledError(let error) = event.kind, let e = error as? TestError { return e.id == id }
                return false
            }
        }
    }

    static func unhandledErrors(atLine line: UInt, file: String = #fileID) -> [DeferredDiagnostics.Event] {
        events.withLock { list in
            list.filter { event in
                if case .unhandledError = event.kind { return event.site.line == line && event.site.fileID == file }
                return false
            }
        }
    }

    /// The events of one kind reported at `line` of `file` (the misuse site, or the creation site).
    static func events(
        _ kind: KindName, atLine line: UInt, file: String = #fileID
    ) -> [DeferredDiagnostics.Event] {
        events.withLock { list in
            list.filter { event in
                guard KindName(event.kind) == kind else { return false }
                return event.site.line == line && event.site.fileID == file
            }
        }
    }

    enum KindName {
        case unhandledError, completedTwice, completedByNonOwner, abandoned
        init(_ kind: DeferredDiagnostics.Event.Kind) {
            switch kind {
            case .unhandledError: self = .unhandledError
            case .completedTwice: self = .completedTwice
            case .completedByNonOwner: self = .completedByNonOwner
            case .abandoned: self = .abandoned
            }
        }
    }

    static func completedTwice(atLine line: UInt, file: String = #fileID) -> [DeferredDiagnostics.Event] {
        events.withLock { list in
            list.filter { event in
                if case .completedTwice = event.kind { return event.site.line == line && event.site.fileID == file }
                return false
            }
        }
    }
}

extension Result {
    var successValue: Success? { if case .success(let v) = self { return v } else { return nil } }
    var failureError: Failure? { if case .failure(let e) = self { return e } else { return nil } }
}

func isCancellation(_ result: Result<some Any, any Error>?) -> Bool {
    if case .failure(let error)? = result { return error is CancellationError }
    return false
}
