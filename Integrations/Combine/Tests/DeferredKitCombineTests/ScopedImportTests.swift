// The remedy without DeferredKitCombine: one scoped import in the file. `import class` shadows the
// whole-module imports of both Combine (OpenCombine on Linux) and DeferredKit, in this file only.
#if canImport(Combine)
import Combine
#else
import OpenCombine
#endif
import DeferredKit
import class DeferredKit.Deferred
import Testing

@Suite("Name collision: the scoped-import remedy")
struct ScopedImportTests {
    @Test("import class DeferredKit.Deferred makes unqualified Deferred DeferredKit's in this file")
    func scopedImportShadows() throws {
        let ours = Deferred<String>()
        ours.resolve("scoped")
        #expect(try ours.result?.get() == "scoped")
        #expect(type(of: ours) == DeferredKit.Deferred<String>.self)
        #if canImport(Combine)
        let theirs = Combine.Deferred { Just(4) }
        #else
        let theirs = OpenCombine.Deferred { Just(4) }
        #endif
        let value = Shared<Int?>(nil)
        let cancellable = theirs.sink { output in value.update { $0 = output } }
        #expect(value.current == 4)
        _ = cancellable
    }
}
