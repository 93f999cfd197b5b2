import DeferredKit
import DeferredKitDistributed
import DistributedFixtures
import Foundation
import Testing

@Suite("Deadlines and cancellation")
struct TimeoutAndCancelTests {
    @Test func aTimeoutReachesThenDependentsAndRecoverHandlers() async throws {
        try await withStore { store, _ in
            let worker = localWorker(store)
            let sweeper = DistributedSweeper(store: store, interval: .milliseconds(50))
            try await withServices([worker, sweeper]) {
                let (then, recovered) = try await store.submit { g in
                    let slow = try g.call(Sleeper.self, id: "slow", input: Nap(milliseconds: 10_000, tag: "late"),
                                          options: .init(deadline: .milliseconds(500)))
                    return (g.then(slow, Fail.self, id: "next"), g.recover(slow, Fallback.self, id: "rescued"))
                }
                let timeout = DistributedFailure(kind: .timedOut, message: "deadline passed", promise: "slow")
                #expect(failure(try await settled(then, in: store)) == timeout)
                #expect(try await settled(recovered, in: store).get() == "recovered timedOut from slow")
                #expect(try await store.snapshot("next")?.attempt == 0)
                try await eventually("the running attempt was cancelled") { worker.statistics.lost == 1 }
                #expect(try await store.effects(of: "slow") == 0, "the timed-out attempt's writes rolled back")
            }
        }
    }

    @Test func aWaitingPromisePastItsDeadlineTimesOutAndSoDoItsDependents() async throws {
        try await withStore { store, _ in
            try await withServices([DistributedSweeper(store: store, interval: .milliseconds(50))]) {
                // No worker runs `parent`; the child's own deadline expires while it waits.
                let grandchild = try await store.submit { g in
                    let parent = try g.call(Noop.self, id: "parent", input: 1)
                    let child = g.then(parent, Noop.self, id: "child", options: .init(deadline: .milliseconds(200)))
                    return g.then(child, Noop.self, id: "grandchild")
                }
                #expect(failure(try await settled(grandchild, in: store))
                        == DistributedFailure(kind: .timedOut, message: "deadline passed", promise: "child"))
                #expect(try await store.snapshot("parent")?.state == .ready)
            }
        }
    }

    @Test func cancellingARunningPromiseStopsItsHandlerAndRejectsItsDependents() async throws {
        try await withStore { store, _ in
            let worker = localWorker(store, concurrency: 1)
            try await withServices([worker]) {
                let (long, next) = try await store.submit { g in
                    let long = try g.call(Sleeper.self, id: "long", input: Nap(milliseconds: 30_000, tag: "never"))
                    return (long, g.then(long, Fail.self, id: "after"))
                }
                try await eventually("it runs") { try await store.snapshot("long")?.state == .running }
                #expect(try await store.cancel(long))
                #expect(try await store.cancel(long) == false, "already settled")
                #expect(failure(try await settled(long, in: store))?.kind == .cancelled)
                #expect(failure(try await settled(next, in: store))?.kind == .cancelled)
                try await eventually("the handler was cancelled") { worker.statistics.lost == 1 }
                #expect(try await store.effects(of: "long") == 0)
                // The single slot is free again.
                let quick = try await store.submit { g in try g.call(Noop.self, id: "quick", input: 5) }
                #expect(try await settled(quick, in: store).get() == 5)
            }
        }
    }
}

@Suite("Awaiting from anywhere")
struct AwaitingTests {
    @Test func cancellingALocalAwaitWithdrawsOnlyThatWaiter() async throws {
        try await withStore { store, _ in
            let nap = try await store.submit { g in try g.call(Sleeper.self, id: "nap", input: Nap(milliseconds: 300, tag: "done")) }
            let impatient = Task { try await nap.value(in: store) }
            let patient = store.deferred(nap)
            impatient.cancel()
            await #expect(throws: CancellationError.self) { try await impatient.value }
            let value = try await withServices([localWorker(store)]) { try await settled(patient).get() }
            #expect(value == "done")
            #expect(try await store.snapshot("nap")?.state == .resolved, "the durable promise was not cancelled")
        }
    }

    @Test func aNotificationDeliversLongBeforeThePollingFallback() async throws {
        // Polling only once a minute: the result must come from NOTIFY.
        try await withStore(pollInterval: .seconds(60)) { store, _ in
            try await eventually("the listener is in place") { store.listenerConnectionCount >= 1 }
            try await withServices([localWorker(store)]) {
                let clock = ContinuousClock()
                let start = clock.now
                let quick = try await store.submit { g in try g.call(Noop.self, id: "quick", input: 3) }
                #expect(try await settled(quick, in: store, within: .seconds(10)).get() == 3)
                #expect(clock.now - start < .seconds(5))
            }
        }
    }

    @Test func aPromiseSettledBeforeTheAwaitIsDeliveredAtOnce() async throws {
        try await withStore { store, _ in
            try await withServices([localWorker(store)]) {
                _ = try await store.submit { g in try g.call(Noop.self, id: "quick", input: 4) }
                try await eventually("it settles") { try await store.snapshot("quick")?.state == .resolved }
            }
            let quick = DistributedPromise<Int>(id: "quick")
            #expect(try await settled(quick, in: store).get() == 4)
        }
    }

    @Test func theSettingsComeFromTheEnvironmentOrFailLoudly() throws {
        #expect(throws: DistributedError.missingEnvironment("DK_PG_SOCKET")) {
            try PostgresSettings.fromEnvironment([:])
        }
        #expect(throws: DistributedError.missingEnvironment("DK_PG_USER")) {
            try PostgresSettings.fromEnvironment(["DK_PG_SOCKET": "/x/.s.PGSQL.5432"])
        }
        let settings = try PostgresSettings.fromEnvironment(
            ["DK_PG_SOCKET": "/x/.s.PGSQL.5432", "DK_PG_USER": "dk", "DK_PG_DATABASE": "db"])
        #expect(settings.endpoint == .unixSocket(path: "/x/.s.PGSQL.5432"))
    }
}
