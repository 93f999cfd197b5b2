// dk-bench: how fast plain distributed promises go, against pgbench on the same server in the same run.
//
//   swift build -c release --product dk-worker   # dk-bench starts the dk-worker built beside it
//   Scripts/with-postgres swift run -c release dk-bench [--promises 20000] [--batch 32] [--steps 200]
//
// 1. Throughput floor. N `Noop` promises are inserted (not ready), then made ready in one statement;
//    1 and then 4 `dk-worker` processes claim and complete them (batched claims and completions, batch
//    size B); pgbench then runs the same SQL — claim B with `dk_claim`, complete them with
//    `dk_complete`, two transactions — with 1 and 4 clients on the same number of fresh promises. Both
//    are timed alike, on the server's clock: from the moment the promises are ready (for pgbench, just
//    before it starts) to the last `settled_at`; the table is vacuumed and analysed before each run, and
//    the end is detected with two cheap index probes every 20 ms. promises/s = N / that time. The ratio is
//    what the worker machinery costs over bare SQL.
// 2. `then`-step latency. A chain of S `Stamp` steps, each a `then` of the previous one, run by 2 worker
//    processes that poll only every 10 s (so each wake-up is a NOTIFY); a step's latency is the time from
//    its parent's settling (`settled_at`, the server's clock) to its handler starting (the worker's
//    clock; same machine).
import DeferredKitDistributed
import DistributedFixtures
import Foundation
import Logging
import PostgresNIO

@main
struct Bench {
    let promiseCount: Int
    let batch: Int
    let steps: Int
    let environment = ProcessInfo.processInfo.environment
    let settings: PostgresSettings
    let store: PromiseStore

    static func main() async throws {
        var options: [String: String] = [:]
        var arguments = CommandLine.arguments.dropFirst()
        while let flag = arguments.popFirst() {
            guard flag.hasPrefix("--"), let value = arguments.popFirst() else { fatalError("dk-bench: unexpected argument \(flag)") }
            options[String(flag.dropFirst(2))] = value
        }
        var logger = Logger(label: "dk-bench")
        logger.logLevel = .warning
        let settings = try PostgresSettings.fromEnvironment()
        let bench = Bench(
            promiseCount: options["promises"].flatMap(Int.init) ?? 20_000, batch: options["batch"].flatMap(Int.init) ?? 32,
            steps: options["steps"].flatMap(Int.init) ?? 200, settings: settings,
            store: PromiseStore(settings: settings, logger: logger, pollInterval: .milliseconds(100)))
        try await bench.run()
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            try await store.installSchema()
            try await Fixtures.installTables(store)
            print("dk-bench: \(promiseCount) promises per run, batch size \(batch) (claims and completions), \(steps) then-steps")
            for count in [1, 4] {
                let workers = try await workerThroughput(processes: count)
                let floor = try await pgbenchThroughput(clients: count)
                print(String(format: "throughput, %d worker process(es): %8.0f promises/s; pgbench, %d client(s), same SQL: %8.0f promises/s; ratio %.2f (target >= 0.5)",
                             count, workers, count, floor, workers / floor))
            }
            let latency = try await thenLatency()
            print(String(format: "then-step latency over %d steps (NOTIFY, polling every 10 s): p50 %.1f ms, p99 %.1f ms (target p50 <= 10 ms)",
                         latency.count, latency.p50, latency.p99))
            group.cancelAll()
        }
    }


    func workerExecutable() -> URL {
        if let path = environment["DK_WORKER_PATH"] { return URL(fileURLWithPath: path) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dk-worker")
    }

    func startWorkers(_ count: Int, _ extra: [String]) throws -> [Process] {
        try (0..<count).map { index in
            let process = Process()
            process.executableURL = workerExecutable()
            process.arguments = ["--name", "bench\(index)"] + extra
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            return process
        }
    }

    func stop(_ processes: [Process]) {
        for process in processes {
            process.terminate()
            process.waitUntilExit()
        }
    }

    func scalar(_ sql: String) async throws -> Double {
        let rows = try await store.client.query(PostgresQuery(unsafeSQL: sql))
        var value = 0.0
        for try await number in rows.decode(Double.self) { value = number }
        return value
    }

    /// Inserts `count` Noop promises, waiting (not ready): the run starts when they are all made ready.
    func insertWaiting(_ count: Int, prefix: String) async throws {
        try await store.client.query(
            """
            INSERT INTO dk_promise (id, kind, handler, spec, input, state, max_attempts, lease_seconds, backoff_seconds)
            SELECT \(prefix) || i, 'call', 'fixtures.noop.v1', '{}'::jsonb, to_jsonb(i), 'waiting', 3, 30, 1
            FROM generate_series(1, \(count)::integer) AS i
            """)
    }

    /// Makes the prefix's promises ready in one statement and wakes the workers; returns the server's
    /// clock once the rows are visible (claims cannot start before that commit).
    func makeReady(prefix: String) async throws -> Double {
        try await store.client.query(
            "UPDATE dk_promise SET state = 'ready', run_after = now() WHERE state = 'waiting' AND id LIKE \(prefix + "%")")
        let start = try await serverClock()
        try await store.client.query("SELECT pg_notify('dk', 'rfixtures.noop.v1')")
        return start
    }

    func serverClock() async throws -> Double {
        try await scalar("SELECT extract(epoch FROM clock_timestamp())::float8")
    }

    /// Vacuums and analyses, so that every run starts from the same kind of table (no dead rows from the
    /// previous run, fresh statistics).
    func tidy() async throws {
        try await store.client.query("VACUUM ANALYZE dk_promise")
    }

    func settledCount(prefix: String) async throws -> Int {
        Int(try await scalar("SELECT count(*)::float8 FROM dk_promise WHERE state = 'resolved' AND id LIKE '\(prefix)%'"))
    }

    /// Whether any of the prefix's promises is still ready or running: two probes of partial indexes,
    /// cheap enough to poll without taking CPU from the run being measured.
    func unfinished(prefix: String) async throws -> Bool {
        try await scalar(
            """
            SELECT (EXISTS (SELECT 1 FROM dk_promise WHERE state = 'ready' AND handler = 'fixtures.noop.v1' AND id LIKE '\(prefix)%')
                 OR EXISTS (SELECT 1 FROM dk_promise WHERE state = 'running' AND id LIKE '\(prefix)%'))::integer::float8
            """) > 0
    }

    /// The server's time of the last settlement (`settled_at` is the start of the completing transaction).
    func lastSettled(prefix: String) async throws -> Double {
        try await scalar("SELECT extract(epoch FROM max(settled_at))::float8 FROM dk_promise WHERE id LIKE '\(prefix)%'")
    }

    /// Promises/s: the count settled over the time from `start` (server clock) to the last settlement.
    func rate(prefix: String, since start: Double) async throws -> Double {
        let done = try await settledCount(prefix: prefix)
        guard done == promiseCount else { throw BenchError(message: "\(prefix): \(done) of \(promiseCount) settled") }
        return Double(done) / (try await lastSettled(prefix: prefix) - start)
    }

    func workerThroughput(processes: Int) async throws -> Double {
        let prefix = "w\(processes)-"
        try await insertWaiting(promiseCount, prefix: prefix)
        try await tidy()
        let workers = try startWorkers(processes, ["--concurrency", "\(batch * 2)", "--batch", "\(batch)", "--poll-ms", "200"])
        defer { stop(workers) }
        try await Task.sleep(for: .seconds(1))   // let them connect and LISTEN
        let start = try await makeReady(prefix: prefix)
        while try await unfinished(prefix: prefix) {
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await rate(prefix: prefix, since: start)
    }

    func pgbenchThroughput(clients: Int) async throws -> Double {
        let prefix = "p\(clients)-"
        try await insertWaiting(promiseCount, prefix: prefix)
        try await tidy()
        _ = try await makeReady(prefix: prefix)
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("dk-bench-\(clients).sql")
        try """
        SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'fence', fence, 'output', input::jsonb)), '[]'::jsonb) AS done FROM dk_claim(ARRAY['fixtures.noop.v1'], 'pgbench', \(batch)) \\gset
        SELECT count(*) FROM dk_complete(:done::jsonb);

        """.write(to: script, atomically: true, encoding: .utf8)
        let transactionsPerClient = (promiseCount + batch * clients - 1) / (batch * clients)
        let pgbench = Process()
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let candidates = [environment["DK_PG_BIN"].map { $0 + "/pgbench" }].compactMap { $0 }
            + versions.sorted().reversed().map { "/usr/lib/postgresql/\($0)/bin/pgbench" } + ["/usr/bin/pgbench"]
        let bin = candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/pgbench"
        pgbench.executableURL = URL(fileURLWithPath: bin)
        pgbench.arguments = ["-n", "-M", "extended", "-f", script.path, "-c", "\(clients)", "-j", "\(clients)",
                             "-t", "\(transactionsPerClient)", settings.database]
        pgbench.standardOutput = FileHandle.nullDevice
        let start = try await serverClock()   // the promises are ready: as for the workers
        try pgbench.run()
        pgbench.waitUntilExit()
        guard pgbench.terminationStatus == 0 else { throw BenchError(message: "pgbench failed (\(pgbench.terminationStatus))") }
        return try await rate(prefix: prefix, since: start)
    }


    func thenLatency() async throws -> (p50: Double, p99: Double, count: Int) {
        let workers = try startWorkers(2, ["--concurrency", "4", "--batch", "\(batch)", "--poll-ms", "10000"])
        defer { stop(workers) }
        try await Task.sleep(for: .seconds(1))
        let last = try await store.submit { graph in
            var step = try graph.call(Stamp.self, id: "chain/0", input: 0)
            for index in 1...steps { step = graph.then(step, Stamp.self, id: "chain/\(index)") }
            return step
        }
        _ = try await last.value(in: store)
        let rows = try await store.client.query(
            """
            SELECT (c.output::text)::float8 - extract(epoch FROM p.settled_at)::float8
            FROM dk_edge e JOIN dk_promise p ON p.id = e.parent JOIN dk_promise c ON c.id = e.child
            WHERE c.id LIKE 'chain/%'
            """)
        var latencies: [Double] = []
        for try await latency in rows.decode(Double.self) { latencies.append(latency * 1_000) }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        return (percentile(0.5), percentile(0.99), latencies.count)
    }
}

struct BenchError: Error { var message: String }

extension Duration {
    var inSeconds: Double {
        let (whole, attos) = components
        return Double(whole) + Double(attos) / 1e18
    }
}
