import DeferredKitDistributed
import Foundation
import PostgresNIO

// MARK: - Fixtures

/// Handlers shared by `dk-worker`, the tests and the benchmark, and the tables they write.
///
/// Every handler that changes the database does it through `context.transaction`, writing one row to
/// `dk_test_effects` per successful attempt, so a test can count effects: exactly one row per promise
/// however many attempts ran.
public enum Fixtures {
    public static let handlers: [any DistributedHandler] = [
        CountShard(), Sum(), Sleeper(), Fail(), Fallback(), Stamp(), Noop(),
    ]

    /// Creates the tables the handlers use (idempotent).
    public static func installTables(_ store: PromiseStore) async throws {
        try await store.client.query(
            "CREATE TABLE IF NOT EXISTS dk_test_effects (promise text NOT NULL, note text NOT NULL, attempt integer NOT NULL)")
        try await store.client.query(
            "CREATE TABLE IF NOT EXISTS dk_items (id integer PRIMARY KEY, colour text NOT NULL)")
    }

    /// Fills `dk_items` with `count` rows; every third one is red.
    public static func fillItems(_ store: PromiseStore, count: Int) async throws {
        try await store.client.query(
            """
            INSERT INTO dk_items (id, colour)
            SELECT i, CASE WHEN i % 3 = 0 THEN 'red' ELSE 'blue' END FROM generate_series(1, \(count)::integer) AS i
            ON CONFLICT (id) DO NOTHING
            """)
    }
}

// MARK: - Counting mapper (the seed's example)

/// One shard of a count over the "datastore": the red items whose id falls in this shard.
public struct Shard: Codable, Sendable, Hashable {
    public var index: Int
    public var of: Int
    public init(index: Int, of: Int) {
        self.index = index
        self.of = of
    }
}

public struct CountShard: DistributedHandler {
    public static let name = "fixtures.count-shard.v1"
    public init() {}

    public func run(_ shard: Shard, context: DistributedContext) async throws -> Int {
        try await context.transaction { db in
            let rows = try await db.query(
                """
                SELECT count(*)::integer FROM dk_items WHERE colour = 'red' AND id % \(shard.of)::integer = \(shard.index)::integer
                """, logger: context.logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            try await db.query(
                "INSERT INTO dk_test_effects (promise, note, attempt) VALUES (\(context.promiseID), 'count', \(context.attempt))", logger: context.logger)
            return count
        }
    }
}

public struct Sum: DistributedHandler {
    public static let name = "fixtures.sum.v1"
    public init() {}

    public func run(_ counts: [Int], context: DistributedContext) async throws -> Int {
        counts.reduce(0, +)
    }
}

// MARK: - Slow work with an effect

public struct Nap: Codable, Sendable, Hashable {
    public var milliseconds: Int
    public var tag: String
    public init(milliseconds: Int, tag: String) {
        self.milliseconds = milliseconds
        self.tag = tag
    }
}

/// Sleeps (cooperatively: cancellation ends it), then records an effect and returns the tag.
public struct Sleeper: DistributedHandler {
    public static let name = "fixtures.sleeper.v1"
    public init() {}

    public func run(_ nap: Nap, context: DistributedContext) async throws -> String {
        try await context.transaction { db in
            // Written first, so the row would be there twice if a lost attempt's transaction committed.
            try await db.query(
                "INSERT INTO dk_test_effects (promise, note, attempt) VALUES (\(context.promiseID), \(nap.tag), \(context.attempt))", logger: context.logger)
        }
        try await Task.sleep(for: .milliseconds(nap.milliseconds))
        return nap.tag
    }
}

// MARK: - Failure and recovery

public struct FixtureError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

public struct Fail: DistributedHandler {
    public static let name = "fixtures.fail.v1"
    public init() {}

    public func run(_ message: String, context: DistributedContext) async throws -> String {
        throw FixtureError(message: message)
    }
}

/// Turns a failure into a value: "recovered <kind> from <promise>".
public struct Fallback: DistributedHandler {
    public static let name = "fixtures.fallback.v1"
    public init() {}

    public func run(_ failure: DistributedFailure, context: DistributedContext) async throws -> String {
        "recovered \(failure.kind.rawValue) from \(failure.promise ?? "?")"
    }
}

// MARK: - Benchmark handlers

/// Returns the wall-clock time (seconds since 1970) at which it started; chained with `then`, each
/// step's start minus its parent's settling time is the `then`-step latency.
public struct Stamp: DistributedHandler {
    public static let name = "fixtures.stamp.v1"
    public init() {}

    public func run(_ previous: Double, context: DistributedContext) async throws -> Double {
        Date().timeIntervalSince1970
    }
}

public struct Noop: DistributedHandler {
    public static let name = "fixtures.noop.v1"
    public init() {}

    public func run(_ value: Int, context: DistributedContext) async throws -> Int { value }
}
