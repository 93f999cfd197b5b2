import DeferredKit
import DeferredKitDistributed
import DistributedFixtures
import Foundation
import Logging
import NIOPosix
import PostgresNIO
import Testing

// MARK: - A database per test

/// Every test gets a database of its own on the server that `Scripts/with-postgres` started, so tests
/// can run side by side without their workers claiming each other's promises.
///
/// Without the script's environment this throws `DistributedError.missingEnvironment`: the tests fail
/// loudly, they never skip.
enum TestDatabase {
    private static let counter = Counter()

    static func create() async throws -> PostgresSettings {
        var settings = try PostgresSettings.fromEnvironment()
        let name = "dk_test_\(ProcessInfo.processInfo.processIdentifier)_\(counter.next())"
        let admin = try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: settings.adminConfiguration, id: 0,
            logger: Logger(label: "dk-tests")
        ).get()
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: Logger(label: "dk-tests"))
        try await admin.close()
        settings.database = name
        return settings
    }
}

final class Counter: Sendable {
    private let lock = NIOLockedCounter()
    func next() -> Int { lock.next() }
}

import NIOConcurrencyHelpers
final class NIOLockedCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func next() -> Int { value.withLockedValue { $0 += 1; return $0 } }
}

extension PostgresSettings {
    var adminConfiguration: PostgresConnection.Configuration {
        switch endpoint {
        case .unixSocket(let path):
            .init(unixSocketPath: path, username: username, password: password, database: "postgres")
        case .tcp(let host, let port):
            .init(host: host, port: port, username: username, password: password, database: "postgres", tls: .disable)
        }
    }
}

// MARK: - A running store

var quietLogger: Logger {
    var logger = Logger(label: "dk-tests")
    logger.logLevel = .critical
    return logger
}

/// Runs `body` with a running store on a fresh database that has the schema and the fixture tables.
/// `services` are started next to the store (workers, sweepers) and cancelled afterwards.
func withStore<Result: Sendable>(
    pollInterval: Duration = .milliseconds(500),
    _ body: @Sendable (PromiseStore, PostgresSettings) async throws -> Result
) async throws -> Result {
    let settings = try await TestDatabase.create()
    let store = PromiseStore(settings: settings, logger: quietLogger, pollInterval: pollInterval)
    // Not a child task: after a server restart the pool may keep a connection that an abandoned query
    // holds, and the test should not wait for the pool's shutdown.
    let runner = Task { try await store.run() }
    defer { runner.cancel() }
    try await store.installSchema()
    try await Fixtures.installTables(store)
    return try await body(store, settings)
}

/// Runs `services` in the background while `body` runs.
func withServices<Result: Sendable>(
    _ services: [any Service], _ body: @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for service in services { group.addTask { try await service.run() } }
        defer { group.cancelAll() }
        return try await body()
    }
}

import ServiceLifecycle

func localWorker(_ store: PromiseStore, name: String = "local", concurrency: Int = 4,
                 heartbeat: Duration = .milliseconds(200)) -> DistributedWorker {
    DistributedWorker(store: store, handlers: Fixtures.handlers, name: name, concurrency: concurrency,
                      heartbeatInterval: heartbeat, pollInterval: .milliseconds(200))
}

// MARK: - Waiting for the database

/// Polls `condition` until it holds, failing after `timeout`. Integration tests run against a real
/// server and real worker processes, so they wait on real time here; nothing else sleeps.
func eventually(
    _ what: String, timeout: Duration = .seconds(20), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: @Sendable () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    throw TimedOut(what: what)
}

struct TimedOut: Error { var what: String }

/// Awaits a promise with a time limit, so that a broken test fails instead of hanging.
func settled<Output>(_ promise: DistributedPromise<Output>, in store: PromiseStore,
                     within limit: Duration = .seconds(30)) async throws -> Result<Output, any Error> {
    try await settled(store.deferred(promise), within: limit, what: "\(promise) settled")
}

/// Awaits a local Deferred with a time limit.
func settled<Output>(_ deferred: Deferred<Output>, within limit: Duration = .seconds(30),
                     what: String = "a Deferred settled") async throws -> Result<Output, any Error> {
    try await withThrowingTaskGroup(of: Result<Output, any Error>?.self) { group in
        group.addTask { await deferred.settled }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else { throw TimedOut(what: what) }
        return result
    }
}

extension PromiseStore {
    func count(_ sql: String) async throws -> Int {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql))
        var value = 0
        for try await count in rows.decode(Int.self) { value = count }
        return value
    }

    func effects(of id: String) async throws -> Int {
        try await count("SELECT count(*)::integer FROM dk_test_effects WHERE promise = '\(id)'")
    }
}

func failure<Value>(_ result: Result<Value, any Error>) -> DistributedFailure? {
    if case .failure(let error) = result { return error as? DistributedFailure }
    return nil
}
