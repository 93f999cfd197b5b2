// The counting mapper from "Distributed Promises for App Engine", in Swift.
//
// The seed maps a function over the datastore in background tasks and counts with it: each shard is
// counted in its own task, `all` waits for every shard, and a last step adds the counts up. Here the
// "datastore" is a PostgreSQL table, each task is a durable promise, and the promises run on workers —
// two in this process; start `dk-worker`s elsewhere and they share the work.
//
//   Scripts/with-postgres swift run CountingMapper
import DeferredKitDistributed
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

// MARK: - The steps

/// A slice of the datastore: the ids with `id % of == index`.
struct Shard: Codable, Sendable {
    var index: Int
    var of: Int
}

/// Counts the matching entities in one shard. The count is recorded through `context.transaction`, so
/// it is written exactly once even if the shard is retried after a worker dies.
struct CountShard: DistributedHandler {
    static let name = "example.count-shard.v1"

    func run(_ shard: Shard, context: DistributedContext) async throws -> Int {
        try await context.transaction { db in
            let rows = try await db.query(
                """
                SELECT count(*)::integer FROM example_entities
                WHERE kind = 'user' AND id % \(shard.of)::integer = \(shard.index)::integer
                """, logger: context.logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            try await db.query("INSERT INTO example_shard_counts (shard, count) VALUES (\(shard.index), \(count))", logger: context.logger)
            return count
        }
    }
}

struct AddUp: DistributedHandler {
    static let name = "example.add-up.v1"

    func run(_ counts: [Int], context: DistributedContext) async throws -> Int { counts.reduce(0, +) }
}

/// The seed's `count` built from nothing but promises: shard, `all`, sum.
func count(in store: PromiseStore, shards: Int, run: String) async throws -> DistributedPromise<Int> {
    try await store.submit { graph in
        let counts = try (0..<shards).map {
            try graph.call(CountShard.self, id: "\(run)/shard/\($0)", input: Shard(index: $0, of: shards))
        }
        return graph.then(graph.all(counts, id: "\(run)/all"), AddUp.self, id: "\(run)/total")
    }
}

// MARK: - Running it

var logger = Logger(label: "CountingMapper")
logger.logLevel = .warning
let store = PromiseStore(settings: try .fromEnvironment(), logger: logger, pollInterval: .milliseconds(200))
let workers = (1...2).map {
    DistributedWorker(store: store, handlers: [CountShard(), AddUp()], name: "example-worker-\($0)", concurrency: 4)
}
let sweeper = DistributedSweeper(store: store)

try await withThrowingTaskGroup(of: Void.self) { group in
    for service in [store, sweeper] as [any Service] + workers { group.addTask { try await service.run() } }

    try await store.installSchema()
    try await store.client.query("CREATE TABLE IF NOT EXISTS example_entities (id integer PRIMARY KEY, kind text NOT NULL)")
    try await store.client.query("CREATE TABLE IF NOT EXISTS example_shard_counts (shard integer, count integer)")
    try await store.client.query(
        """
        INSERT INTO example_entities SELECT i, CASE WHEN i % 4 = 0 THEN 'user' ELSE 'post' END
        FROM generate_series(1, 10000) AS i ON CONFLICT DO NOTHING
        """)

    let run = "count-\(UUID().uuidString.prefix(8))"
    let total = try await count(in: store, shards: 8, run: run)
    print("counting users in 8 shards as \(total)…")
    let users = try await total.value(in: store)
    print("users: \(users) (expected 2500)")
    group.cancelAll()
}
