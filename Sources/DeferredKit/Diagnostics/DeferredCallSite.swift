// MARK: - DeferredCallSite

/// Where in the source a Deferred was created or completed, as `#fileID:#line`.
///
/// ```swift
/// DeferredDiagnostics.setHandler { event in print(event.site) }   // "MyApp/Fetch.swift:42"
/// ```
public struct DeferredCallSite: Hashable, CustomStringConvertible {
    /// The `#fileID` of the call (module/file).
    public var fileID: String { String(cString: fileStart) }
    /// The line of the call.
    public var line: UInt { UInt(lineNumber) }

    // A static string literal's bytes live for the whole program and end with a NUL, so one pointer
    // and a 32-bit line keep a site in 12 bytes instead of a `StaticString`'s 17 plus a `UInt`.
    @usableFromInline let fileStart: UnsafePointer<CChar>
    @usableFromInline let lineNumber: UInt32

    /// The call site of the caller, or the one given: for adapters that create or complete Deferreds on
    /// a user's behalf and report the user's line rather than their own.
    ///
    /// ```swift
    /// func load(file: StaticString = #fileID, line: UInt = #line) { let site = DeferredCallSite(file: file, line: line) }
    /// ```
    @inlinable
    public init(file: StaticString = #fileID, line: UInt = #line) {
        self.init(file, line)
    }

    @inlinable
    init(_ file: StaticString, _ line: UInt) {
        if file.hasPointerRepresentation {
            fileStart = UnsafeRawPointer(file.utf8Start).assumingMemoryBound(to: CChar.self)
        } else {
            fileStart = DeferredCallSite.unknownFile
        }
        lineNumber = UInt32(truncatingIfNeeded: line)
    }

    @usableFromInline
    static var unknownFile: UnsafePointer<CChar> {
        let s: StaticString = "<unknown>"
        return UnsafeRawPointer(s.utf8Start).assumingMemoryBound(to: CChar.self)
    }

    public var description: String { "\(fileID):\(line)" }

    public static func == (a: DeferredCallSite, b: DeferredCallSite) -> Bool {
        a.line == b.line && a.fileID == b.fileID
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(fileID)
        hasher.combine(line)
    }
}

extension DeferredCallSite: @unchecked Sendable {}
