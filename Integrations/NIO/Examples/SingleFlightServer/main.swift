// SingleFlightServer: a NIO HTTP/1 server whose handler coalesces concurrent requests for a key onto
// one Deferred (a DeferredMemoizer, with a per-key timeout), measured against the same server without coalescing.
//
// It binds 127.0.0.1 on a free port, runs a bounded load from a NIO client in the same process (over
// real loopback sockets), once per mode, and prints backend calls and latency percentiles:
//
//     swift run -c release --package-path Integrations/NIO SingleFlightServer \
//         [--requests 10000] [--keys 100] [--connections 32] [--latency-ms 5] [--pool 4] [--deadline-s 120]
//
// Exits non-zero if a request fails, if coalescing makes other than one backend call per key, or if
// the run passes its deadline.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DeferredKit
import NIOCore
import NIOHTTP1
import NIOPosix

struct Options {
    var requests = 10_000
    var keys = 100
    var connections = 32
    var latencyMilliseconds = 5
    var pool = 4
    var deadlineSeconds = 120

    init(_ arguments: [String]) {
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let text = rest.popFirst(), let value = Int(text), value > 0 else {
                fail("usage: SingleFlightServer [--requests N] [--keys N] [--connections N] [--latency-ms N] [--pool N] [--deadline-s N] (bad \(flag))")
            }
            switch flag {
            case "--requests": requests = value
            case "--keys": keys = value
            case "--connections": connections = value
            case "--latency-ms": latencyMilliseconds = value
            case "--pool": pool = value
            case "--deadline-s": deadlineSeconds = value
            default: fail("unknown option \(flag)")
            }
        }
    }
}

func fail(_ message: String, status: Int32 = 1) -> Never {
    printError(message)
    exit(status)
}

func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}

extension String {
    func padded(to width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}

/// Starts the server in `mode`, runs the load against it, stops it.
func measure(_ mode: ValueService.Mode, _ options: Options, load: Load) async throws -> (LoadResult, backendCalls: Int) {
    let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let backend = try Backend(
        loop: serverGroup.next(), latency: .milliseconds(Int64(options.latencyMilliseconds)), connections: options.pool)
    let service = ValueService(mode: mode, backend: backend, timeout: .seconds(5))
    let server = try await ServerBootstrap(group: serverGroup)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)  // no Nagle delay on small responses
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(ValueHandler(service: service))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
    let result = try await runLoad(load, port: server.localAddress!.port!, group: clientGroup)
    try await server.close()
    try await clientGroup.shutdownGracefully()
    try await serverGroup.shutdownGracefully()
    return (result, backend.calls)
}

func formatted(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

func main() async throws {
    let options = Options(Array(CommandLine.arguments.dropFirst()))
    let watchdog = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    watchdog.next().scheduleTask(in: .seconds(Int64(options.deadlineSeconds))) {
        fail("SingleFlightServer: deadline of \(options.deadlineSeconds) s passed; stopping", status: 2)
    }
    let load = Load(requests: options.requests, keys: options.keys, connections: options.connections)
    print("\(load.requests) requests over \(load.keys) keys, \(load.connections) connections, 127.0.0.1;"
        + " backend: \(options.latencyMilliseconds) ms per call, \(options.pool) at a time")
    print("mode        backend calls   failures   seconds   p50 ms   p99 ms")
    var problems: [String] = []
    for mode in ValueService.Mode.allCases {
        let (result, calls) = try await measure(mode, options, load: load)
        let row = [
            mode.rawValue.padded(to: 12),
            String(calls).padded(to: 16),
            String(result.failures).padded(to: 11),
            formatted(result.seconds).padded(to: 10),
            formatted(result.percentile(0.50)).padded(to: 9),
            formatted(result.percentile(0.99)),
        ]
        print(row.joined())
        if result.latenciesNanoseconds.count != load.requests {
            problems.append("\(mode.rawValue): \(result.latenciesNanoseconds.count) of \(load.requests) requests answered")
        }
        if result.failures > 0 { problems.append("\(mode.rawValue): \(result.failures) failed requests") }
        if mode == .coalescing, calls != min(load.keys, load.requests) {
            problems.append("coalescing: \(calls) backend calls for \(load.keys) keys")
        }
    }
    try await watchdog.shutdownGracefully()
    if !problems.isEmpty { fail("FAILED: " + problems.joined(separator: "; ")) }
    print("OK: coalescing made one backend call per key")
}

try await main()
