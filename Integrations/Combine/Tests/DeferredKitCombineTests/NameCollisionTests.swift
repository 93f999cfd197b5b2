// This file imports Combine (OpenCombine on Linux, which has a `Deferred` publisher too) and DeferredKit,
// and writes `Deferred` unqualified: it compiles because DeferredKitCombine re-exports a scoped import of
// `DeferredKit.Deferred`, which shadows the whole-module imports.
#if canImport(Combine)
import Combine
typealias CombineDeferred<P: Publisher> = Combine.Deferred<P>
#else
import OpenCombine
typealias CombineDeferred<P: Publisher> = OpenCombine.Deferred<P>
#endif
import DeferredKit
import DeferredKitCombine
import Testing

@Suite("Name collision: Combine and DeferredKit in one file")
struct NameCollisionTests {
    @Test("with DeferredKitCombine imported, unqualified Deferred is DeferredKit's; Combine's stays reachable")
    func unqualifiedDeferredIsDeferredKits() throws {
        let ours: Deferred<Int> = .resolved(1)
        let tasklet = Deferred { 2 }
        let all = Deferred.all([ours, tasklet])
        #expect(try all.result?.get() == [1, 2])
        #expect(type(of: ours) == DeferredKit.Deferred<Int>.self)

        let theirs = CombineDeferred { Just(3) }
        let fromCombine = Deferred(firstValueOf: theirs)
        #expect(try fromCombine.result?.get() == 3)
    }
}
