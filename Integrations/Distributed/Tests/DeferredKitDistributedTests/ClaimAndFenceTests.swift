import DeferredKitDistributed
import DistributedFixtures
import Foundation
import PostgresNIO
import Testing

@Suite("Claims, leases and fences")
struct ClaimAndFenceTests {
    @Test func concurrentClaimsNeverTakeTheSamePromise() async throws {
        try await withStore { store, _ in
            try await store.submit { g in for i in 0..<40 { _ = try g.call(Noop.self, id: "n\(i)", input: i) } }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        var ids: [String] = []
                        while true {
                            let rows = try await store.client.query(
                                "SELECT id FROM dk_claim(ARRAY['fixtures.noop.v1'], \("w\(worker)"), 3)")
                            var batch: [String] = []
                            for try await id in rows.decode(String.self) { batch.append(id) }
                            if batch.isEmpty { return ids }
                            ids += batch
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claimed.count == 40)
            #expect(Set(claimed).count == 40, "every promise claimed exactly once")
            #expect(try await store.count("SELECT count(*)::integer FROM dk_promise WHERE state = 'running' AND fence = 1") == 40)
        }
    }

    @Test func aClaimOverSeveralHandlersTakesTheOldestFirstAndLeavesTheRestClaimable() async throws {
        try await withStore { store, _ in
            try await store.submit { g in
                for i in 0..<4 {
                    _ = try g.call(Noop.self, id: "n\(i)", input: i)
                    _ = try g.call(Stamp.self, id: "s\(i)", input: 0)
                }
            }
            // Interleave the two handlers in time: s0 oldest, then n0, s1, n1, …
            try await store.client.query(
                """
                UPDATE dk_promise SET run_after = now() - interval '1 hour'
                    + (substr(id, 2)::integer * 2 + CASE WHEN id LIKE 'n%' THEN 1 ELSE 0 END) * interval '1 second'
                """)
            func claim(_ limit: Int) async throws -> [String] {
                let rows = try await store.client.query(
                    "SELECT id FROM dk_claim(ARRAY['fixtures.noop.v1', 'fixtures.stamp.v1'], 'w', \(limit)::integer)")
                var ids: [String] = []
                for try await id in rows.decode(String.self) { ids.append(id) }
                return ids.sorted()
            }
            #expect(try await claim(3) == ["n0", "s0", "s1"], "the three oldest, across both handlers")
            // The claim locked up to 3 rows per handler; those it did not take are free again.
            #expect(try await claim(10) == ["n1", "n2", "n3", "s2", "s3"])
            #expect(try await claim(10) == [])
        }
    }

    @Test func aCompletionWithAStaleFenceChangesNothing() async throws {
        try await withStore { store, _ in
            try await store.submit { g in _ = try g.call(Noop.self, id: "fenced", input: 1) }
            _ = try await store.client.query("SELECT * FROM dk_claim(ARRAY['fixtures.noop.v1'], 'zombie', 1)")
            #expect(try await store.snapshot("fenced")?.fence == 1)
            // The lease is lost: the sweeper would do exactly this when it expires.
            try await store.client.query("UPDATE dk_promise SET lease_until = now() - interval '1 second' WHERE id = 'fenced'")
            _ = try await store.client.query("SELECT dk_sweep()")
            let requeued = try #require(try await store.snapshot("fenced"))
            #expect(requeued.state == .ready)
            #expect(requeued.fence == 2)
            let accepted = try await store.count(
                #"SELECT count(*)::integer FROM dk_complete('[{"id":"fenced","fence":1,"output":99}]'::jsonb)"#)
            #expect(accepted == 0)
            let after = try #require(try await store.snapshot("fenced"))
            #expect(after.state == .ready)
            #expect(after.outputJSON == nil)
        }
    }

    @Test func aLostAttemptsTransactionRollsBackAndTheRetryWritesTheOnlyEffect() async throws {
        try await withStore { store, _ in
            // The zombie never heartbeats (60 s), so its 1 s lease expires mid-run and the promise is
            // retried by the healthy worker (the zombie's only slot is taken by its own sleeping attempt); the
            // zombie then finishes and tries to complete.
            let zombie = localWorker(store, name: "zombie", concurrency: 1, heartbeat: .seconds(60))
            let healthy = localWorker(store, name: "healthy")
            let sweeper = DistributedSweeper(store: store, interval: .milliseconds(50))
            let nap = try await store.submit { g in
                // The healthy worker heartbeats every 200 ms: a 1 s lease leaves it a margin even under
                // ThreadSanitizer (with 300 ms it lost its lease there too, and the promise ran out of attempts).
                try g.call(Sleeper.self, id: "nap", input: Nap(milliseconds: 2500, tag: "slept"),
                           options: .init(lease: .seconds(1), maxAttempts: 3, backoff: .milliseconds(10)))
            }
            try await withServices([zombie, sweeper]) {
                try await eventually("the zombie holds the promise") { try await store.snapshot("nap")?.worker == "zombie" }
                try await withServices([healthy]) {
                    #expect(try await settled(nap, in: store).get() == "slept")
                    try await eventually("the zombie tried to complete") { zombie.statistics.fencedOut == 1 }
                }
            }
            #expect(try await store.effects(of: "nap") == 1, "the zombie's effect rolled back with its completion")
            #expect(try await store.snapshot("nap")?.attempt == 2)
            #expect(healthy.statistics.completed == 1)
        }
    }

    @Test func anExpiredLeaseIsRetriedWithBackoffThenRejectedWhenAttemptsRunOut() async throws {
        try await withStore { store, _ in
            try await store.submit { g in
                _ = try g.call(Noop.self, id: "doomed", input: 1,
                               options: .init(lease: .milliseconds(100), maxAttempts: 2, backoff: .seconds(10)))
            }
            func claim() async throws -> Int {
                try await store.count("SELECT count(*)::integer FROM dk_claim(ARRAY['fixtures.noop.v1'], 'dies', 1)")
            }
            func expireAndSweep() async throws {
                try await store.client.query("UPDATE dk_promise SET lease_until = now() - interval '1 second' WHERE id = 'doomed'")
                _ = try await store.client.query("SELECT dk_sweep()")
            }
            #expect(try await claim() == 1)
            try await expireAndSweep()
            #expect(try await store.snapshot("doomed")?.state == .ready)
            #expect(try await claim() == 0, "not claimable during the backoff")
            #expect(try await store.count(
                "SELECT count(*)::integer FROM dk_promise WHERE id = 'doomed' AND run_after > now() + interval '5 seconds'") == 1,
                "the 10 s backoff (a wide margin: under ThreadSanitizer 100 ms could pass between the sweep and this check)")
            try await store.client.query("UPDATE dk_promise SET run_after = now() WHERE id = 'doomed'")
            #expect(try await claim() == 1)
            try await expireAndSweep()
            let snapshot = try #require(try await store.snapshot("doomed"))
            #expect(snapshot.state == .rejected)
            #expect(snapshot.failure?.kind == .attemptsExhausted)
            #expect(snapshot.attempt == 2)
        }
    }

    @Test func onlyOneSweeperLeadsAndAnotherTakesOverWhenItStops() async throws {
        try await withStore { store, _ in
            let first = DistributedSweeper(store: store, interval: .milliseconds(50))
            let second = DistributedSweeper(store: store, interval: .milliseconds(50))
            try await withServices([second]) {
                try await withServices([first]) {
                    try await eventually("one sweeper leads") { first.isLeader || second.isLeader }
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(first.isLeader != second.isLeader, "exactly one leader")
                }
                // `first` stopped (its connection closed); if it led, `second` takes over.
                try await eventually("the remaining sweeper leads") { second.isLeader }
            }
        }
    }
}
