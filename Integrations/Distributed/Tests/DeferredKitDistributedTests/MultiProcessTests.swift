import DeferredKitDistributed
import DistributedFixtures
import Foundation
import Testing

/// Several `dk-worker` processes against one real server. Serialized: they are CPU-heavy on a small
/// machine.
@Suite("Worker processes", .serialized, .timeLimit(.minutes(3)))
struct MultiProcessTests {
    /// The seed's counting mapper: shard the items, count each shard in its own task, `all`, sum.
    @Test func theCountingMapperCountsCorrectlyAcrossProcesses() async throws {
        try await withStore { store, settings in
            try await Fixtures.fillItems(store, count: 3_000)
            try await withWorkerProcesses(3, settings: settings) { _ in
                let total = try await store.submit { g in
                    let shards = try (0..<16).map { try g.call(CountShard.self, id: "count/\($0)", input: Shard(index: $0, of: 16)) }
                    return g.then(g.all(shards, id: "count/all"), Sum.self, id: "count/total")
                }
                #expect(try await settled(total, in: store, within: .seconds(60)).get() == 1_000)
                #expect(try await store.count("SELECT count(*)::integer FROM dk_test_effects") == 16)
                #expect(try await store.count(
                    "SELECT count(DISTINCT worker)::integer FROM dk_promise WHERE id LIKE 'count/%' AND worker IS NOT NULL") >= 1)
            }
        }
    }

    @Test func aKilledWorkersPromisesAreRetriedElsewhereWithExactlyOneEffectEach() async throws {
        try await withStore { store, settings in
            try await withWorkerProcesses(2, settings: settings, arguments: ["--concurrency", "8"]) { workers in
                let naps = try await store.submit { g in
                    try (0..<12).map {
                        try g.call(Sleeper.self, id: "nap/\($0)", input: Nap(milliseconds: 2_000, tag: "nap\($0)"),
                                   options: .init(lease: .seconds(1), maxAttempts: 3, backoff: .milliseconds(100)))
                    }
                }
                try await eventually("w0 holds leases") {
                    try await store.count("SELECT count(*)::integer FROM dk_promise WHERE state = 'running' AND worker = 'w0'") > 0
                }
                let held = try await store.count("SELECT count(*)::integer FROM dk_promise WHERE state = 'running' AND worker = 'w0'")
                workers[0].kill()
                for (index, nap) in naps.enumerated() {
                    #expect(try await settled(nap, in: store, within: .seconds(60)).get() == "nap\(index)")
                }
                #expect(try await store.count("SELECT count(*)::integer FROM dk_promise WHERE attempt >= 2") >= held)
                #expect(try await store.count(
                    "SELECT count(*)::integer FROM (SELECT promise FROM dk_test_effects GROUP BY promise HAVING count(*) = 1) AS once") == 12)
                #expect(try await store.count("SELECT count(*)::integer FROM dk_test_effects") == 12)
            }
        }
    }

    @Test func aTimeoutPropagatesThroughThenAndRecoverAcrossProcesses() async throws {
        try await withStore { store, settings in
            try await withWorkerProcesses(2, settings: settings) { _ in
                let (then, recovered) = try await store.submit { g in
                    let slow = try g.call(Sleeper.self, id: "slow", input: Nap(milliseconds: 20_000, tag: "late"),
                                          options: .init(deadline: .seconds(1)))
                    return (g.then(slow, Fail.self, id: "then"), g.recover(slow, Fallback.self, id: "recover"))
                }
                #expect(failure(try await settled(then, in: store)) ==
                        DistributedFailure(kind: .timedOut, message: "deadline passed", promise: "slow"))
                #expect(try await settled(recovered, in: store).get() == "recovered timedOut from slow")
                #expect(try await store.effects(of: "slow") == 0)
            }
        }
    }

    @Test func cancellingAPromiseRunningInAnotherProcess() async throws {
        try await withStore { store, settings in
            try await withWorkerProcesses(1, settings: settings, arguments: ["--concurrency", "1"]) { _ in
                let (long, next) = try await store.submit { g in
                    let long = try g.call(Sleeper.self, id: "long", input: Nap(milliseconds: 60_000, tag: "never"))
                    return (long, g.then(long, Fail.self, id: "after"))
                }
                try await eventually("it runs") { try await store.snapshot("long")?.state == .running }
                #expect(try await store.cancel(long))
                #expect(failure(try await settled(next, in: store))?.kind == .cancelled)
                // The worker's only slot comes back once it sees the lost fence and cancels the handler.
                let quick = try await store.submit { g in try g.call(Noop.self, id: "quick", input: 1) }
                #expect(try await settled(quick, in: store, within: .seconds(10)).get() == 1)
                #expect(try await store.effects(of: "long") == 0)
            }
        }
    }

    @Test func submittingTheSameGraphTwiceRunsItOnce() async throws {
        try await withStore { store, settings in
            try await Fixtures.fillItems(store, count: 300)
            @Sendable func graph(_ g: inout DistributedGraph) throws -> DistributedPromise<Int> {
                let shards = try (0..<4).map { try g.call(CountShard.self, id: "twice/\($0)", input: Shard(index: $0, of: 4)) }
                return g.then(g.all(shards, id: "twice/all"), Sum.self, id: "twice/total")
            }
            try await withWorkerProcesses(2, settings: settings) { _ in
                async let first = store.submit(graph)
                async let second = store.submit(graph)
                let (a, b) = try await (first, second)
                #expect(a == b)
                #expect(try await settled(a, in: store).get() == 100)
                _ = try await store.submit(graph)   // and once more after it finished
                #expect(try await store.count("SELECT count(*)::integer FROM dk_test_effects") == 4)
                #expect(try await store.count("SELECT count(*)::integer FROM dk_promise") == 6)
            }
        }
    }

    @Test
    func waitingProcessesFinishAcrossAServerRestart() async throws {
        let restart = try #require(ProcessInfo.processInfo.environment["DK_PG_RESTART"],
                                   "DK_PG_RESTART is set by Scripts/with-postgres")
        try await withStore(pollInterval: .milliseconds(300)) { store, settings in
            try await withWorkerProcesses(2, settings: settings) { _ in
                progress("submitting")
                let naps = try await store.submit { g in
                    try (0..<10).map {
                        try g.call(Sleeper.self, id: "nap/\($0)", input: Nap(milliseconds: 1_500, tag: "nap\($0)"),
                                   options: .init(lease: .seconds(2), maxAttempts: 5, backoff: .milliseconds(100)))
                    }
                }
                let waiting = naps.map { store.deferred($0) }
                progress("submitted")
                try await eventually("work is under way") {
                    try await store.count("SELECT count(*)::integer FROM dk_promise WHERE state = 'running'") > 0
                }
                let listenedBefore = store.listenerConnectionCount
                progress("restarting")
                // system(3), not Foundation's Process: its waitUntilExit was seen not to return here
                // once pg_ctl had started the new server.
                let status = system(restart)
                #expect(status == 0)
                progress("restarted")
                for (index, deferred) in waiting.enumerated() {
                    #expect(try await settled(deferred, within: .seconds(60)).get() == "nap\(index)")
                }
                #expect(store.listenerConnectionCount > listenedBefore, "the listener reconnected")
                #expect(try await store.count(
                    "SELECT count(*)::integer FROM (SELECT promise FROM dk_test_effects GROUP BY promise HAVING count(*) = 1) AS once") == 10)
            }
        }
    }
}

/// Progress of the restart test, appended to $DK_PROGRESS_FILE when set (swift test holds the runner's
/// own output until it exits).
func progress(_ step: String) {
    guard let path = ProcessInfo.processInfo.environment["DK_PROGRESS_FILE"],
          let handle = FileHandle(forWritingAtPath: path) else { return }
    handle.seekToEndOfFile()
    handle.write(Data("\(Date()) restart test: \(step)\n".utf8))
    try? handle.close()
}
