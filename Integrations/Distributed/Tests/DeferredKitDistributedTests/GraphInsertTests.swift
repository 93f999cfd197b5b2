@testable import DeferredKitDistributed
import DistributedFixtures
import Foundation
import Testing

@Suite("Inserting graphs")
struct GraphInsertTests {
    @Test func theSameGraphTwiceIsDeduplicated() async throws {
        try await withStore { store, _ in
            func graph(_ g: inout DistributedGraph) throws -> DistributedPromise<Int> {
                let shards = try (0..<3).map { try g.call(CountShard.self, id: "dedupe/\($0)", input: Shard(index: $0, of: 3)) }
                return g.then(g.all(shards, id: "dedupe/all"), Sum.self, id: "dedupe/sum")
            }
            var first = DistributedGraph()
            _ = try graph(&first)
            #expect(try await store.submit(first) == 5)
            var second = DistributedGraph()
            _ = try graph(&second)
            #expect(try await store.submit(second) == 0)
            #expect(try await store.count("SELECT count(*)::integer FROM dk_promise") == 5)
            #expect(try await store.count("SELECT count(*)::integer FROM dk_edge") == 4)
        }
    }

    @Test func theSameIdWithAnotherInputIsAlreadyExistsAndInsertsNothing() async throws {
        try await withStore { store, _ in
            try await store.submit { g in _ = try g.call(Noop.self, id: "taken", input: 1) }
            await #expect(throws: DistributedError.alreadyExists(id: "taken")) {
                try await store.submit { g in
                    _ = try g.call(Noop.self, id: "fresh", input: 7)
                    _ = try g.call(Noop.self, id: "taken", input: 2)
                }
            }
            #expect(try await store.snapshot("fresh") == nil, "the failed graph's other nodes roll back with it")
        }
    }

    @Test func aGraphThatDefinesAnIdTwiceDifferentlyIsRefused() async throws {
        var graph = DistributedGraph()
        _ = try graph.call(Noop.self, id: "twice", input: 1)
        _ = try graph.call(Noop.self, id: "twice", input: 2)
        #expect(throws: DistributedError.duplicateInGraph(id: "twice")) { try graph.document() }
    }

    @Test func callsAreReadyAndDependentsWaitForTheirParents() async throws {
        try await withStore { store, _ in
            let sum = try await store.submit { g in
                let a = try g.call(Noop.self, id: "a", input: 1)
                let b = try g.call(Noop.self, id: "b", input: 2)
                return g.then(g.all([a, b], id: "ab"), Sum.self, id: "sum")
            }
            #expect(try await store.snapshot("a")?.state == .ready)
            #expect(try await store.snapshot("ab")?.state == .waiting)
            #expect(try await store.snapshot(sum.id)?.state == .waiting)
        }
    }

    @Test func aChildSubmittedAfterItsParentSettledBecomesReadyAtOnce() async throws {
        try await withStore { store, _ in
            try await withServices([localWorker(store)]) {
                let a = try await store.submit { g in try g.call(Noop.self, id: "early", input: 20) }
                #expect(try await settled(a, in: store).get() == 20)
                let both = try await store.submit { g in g.then(g.all([a, a], id: "late/all"), Sum.self, id: "late/sum") }
                #expect(try await settled(both, in: store).get() == 40)
            }
        }
    }

    @Test func allOfNothingResolvesWithAnEmptyArray() async throws {
        try await withStore { store, _ in
            let none = try await store.submit { g in g.all([DistributedPromise<Int>](), id: "empty") }
            #expect(try await store.snapshot(none.id)?.state == .resolved, "settled by the insert, without a worker")
            #expect(try await settled(none, in: store).get() == [])
        }
    }
}
