import DeferredKitDistributed
import DistributedFixtures
import Foundation
import Logging
import ServiceLifecycle

// dk-worker: a worker process running the fixture handlers, with a sweeper and the store's listener.
//
//   dk-worker [--name N] [--concurrency N] [--batch N] [--heartbeat-ms N] [--poll-ms N] [--sweep-ms N]
//
// Connection from DK_PG_* (Scripts/with-postgres). SIGTERM/SIGINT shut it down gracefully.

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard flag.hasPrefix("--"), let value = arguments.popFirst() else {
        FileHandle.standardError.write(Data("dk-worker: unexpected argument \(flag)\n".utf8))
        exit(2)
    }
    options[String(flag.dropFirst(2))] = value
}
let parsed = options
let number = { @Sendable (key: String, fallback: Int) -> Int in parsed[key].flatMap(Int.init) ?? fallback }

var logger = Logger(label: "dk-worker")
logger.logLevel = options["log"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
let settings = try PostgresSettings.fromEnvironment()
let store = PromiseStore(settings: settings, logger: logger, pollInterval: .milliseconds(number("poll-ms", 500)))
let worker = DistributedWorker(
    store: store, handlers: Fixtures.handlers, name: options["name"], concurrency: number("concurrency", 8),
    batchSize: number("batch", 16), heartbeatInterval: .milliseconds(number("heartbeat-ms", 1000)),
    pollInterval: .milliseconds(number("poll-ms", 500)))
let sweeper = DistributedSweeper(store: store, interval: .milliseconds(number("sweep-ms", 1000)))
let group = ServiceGroup(services: [store, worker, sweeper], gracefulShutdownSignals: [.sigterm, .sigint],
                         logger: logger)
print("dk-worker \(worker.name) started")
try await group.run()
let statistics = worker.statistics
print("dk-worker \(worker.name) stopped: claimed \(statistics.claimed), completed \(statistics.completed), fenced out \(statistics.fencedOut), lost \(statistics.lost)")
