import DeferredKitDistributed
import Foundation
import Testing

// MARK: - WorkerProcess

/// A `dk-worker` child process on a test's database. Its output goes to a file that is printed when
/// the test fails to make sense of.
final class WorkerProcess: @unchecked Sendable {
    let name: String
    let process = Process()
    let logURL: URL

    /// The `dk-worker` built next to the test bundle (`swift build --build-tests` builds it), or
    /// `DK_WORKER_PATH`.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["DK_WORKER_PATH"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("dk-worker").path),
              directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("dk-worker")
    }

    init(name: String, settings: PostgresSettings, arguments: [String] = []) throws {
        self.name = name
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("dk-worker-\(name)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = Self.executable
        process.arguments = ["--name", name, "--heartbeat-ms", "200", "--poll-ms", "200", "--sweep-ms", "100"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["DK_PG_DATABASE"] = settings.database
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// `kill -9`: no cleanup, no completion, its connections just drop.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM (a graceful shutdown), then SIGKILL if it has not exited within 10 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning {
            print("dk-worker \(name) ignored SIGTERM for 10 s; killing it")
            Foundation.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    var output: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: logURL)
    }
}

/// Starts `count` worker processes, runs `body`, and stops them (printing their output on failure).
func withWorkerProcesses<Result: Sendable>(
    _ count: Int, settings: PostgresSettings, arguments: [String] = [],
    _ body: @Sendable ([WorkerProcess]) async throws -> Result
) async throws -> Result {
    let workers = try (0..<count).map { try WorkerProcess(name: "w\($0)", settings: settings, arguments: arguments) }
    defer { for worker in workers { worker.stop() } }
    do {
        return try await body(workers)
    } catch {
        for worker in workers { print("---- \(worker.name) output:\n\(worker.output)") }
        throw error
    }
}
