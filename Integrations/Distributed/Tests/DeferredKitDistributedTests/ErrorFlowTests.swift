import DeferredKitDistributed
import DistributedFixtures
import Foundation
import Testing

@Suite("Errors flow through the graph")
struct ErrorFlowTests {
    @Test func aFailedParentRejectsThenChildrenWithoutRunningThem() async throws {
        try await withStore { store, _ in
            try await withServices([localWorker(store)]) {
                let (failing, child, grandchild) = try await store.submit { g in
                    let failing = try g.call(Fail.self, id: "fails", input: "boom")
                    let child = g.then(failing, Fail.self, id: "child")
                    return (failing, child, g.all([child], id: "gathered"))
                }
                let parentFailure = try #require(failure(try await settled(failing, in: store)))
                #expect(parentFailure == DistributedFailure(kind: .failed, message: "boom", promise: "fails"))
                #expect(failure(try await settled(child, in: store)) == parentFailure)
                #expect(failure(try await settled(grandchild, in: store)) == parentFailure)
                #expect(try await store.snapshot("child")?.attempt == 0, "the then handler never ran")
            }
        }
    }

    @Test func aRecoverEdgeHandsTheFailureToItsHandler() async throws {
        try await withStore { store, _ in
            try await withServices([localWorker(store)]) {
                let recovered = try await store.submit { g in
                    g.recover(try g.call(Fail.self, id: "fails", input: "boom"), Fallback.self, id: "recovered")
                }
                #expect(try await settled(recovered, in: store).get() == "recovered failed from fails")
            }
        }
    }

    @Test func aRecoverEdgePassesASuccessThroughWithoutRunning() async throws {
        try await withStore { store, _ in
            try await withServices([localWorker(store)]) {
                let recovered = try await store.submit { g in
                    g.recover(try g.call(Sleeper.self, id: "fine", input: Nap(milliseconds: 1, tag: "ok")), Fallback.self,
                              id: "passes")
                }
                #expect(try await settled(recovered, in: store).get() == "ok")
                #expect(try await store.snapshot("passes")?.attempt == 0)
            }
        }
    }

    @Test func allIsRejectedWithTheFirstFailure() async throws {
        try await withStore { store, _ in
            try await withServices([localWorker(store)]) {
                let gathered = try await store.submit { g in
                    let ok = try g.call(Sleeper.self, id: "ok", input: Nap(milliseconds: 1, tag: "ok"))
                    let bad = try g.call(Fail.self, id: "bad", input: "nope")
                    return g.all([ok, bad], id: "both")
                }
                #expect(failure(try await settled(gathered, in: store))?.promise == "bad")
            }
        }
    }
}
