import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

// MARK: - Load

/// A bounded load on one server: `requests` GETs of `/value/<key>` over `keys` keys, spread over
/// `connections` keep-alive connections, each sending its next request when the previous answer arrives.
struct Load: Sendable {
    var requests: Int
    var keys: Int
    var connections: Int

    /// The key of the `index`th request: scrambled, so that concurrent requests often share a key.
    func key(of index: Int) -> String { "k\((index &* 7919) % keys)" }
}

/// What one run of the load measured.
struct LoadResult: Sendable {
    var latenciesNanoseconds: [UInt64]
    var failures: Int
    var seconds: Double

    func percentile(_ p: Double) -> Double {
        let sorted = latenciesNanoseconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
        return Double(sorted[max(0, index)]) / 1_000_000
    }
}

/// Runs `load` against 127.0.0.1:`port` and returns the latencies of every request.
func runLoad(_ load: Load, port: Int, group: any EventLoopGroup) async throws -> LoadResult {
    let tickets = Tickets(total: load.requests)
    let start = NIODeadline.now()
    var finished: [EventLoopFuture<ConnectionTally>] = []
    for _ in 0 ..< load.connections {
        let done = group.next().makePromise(of: ConnectionTally.self)
        _ = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        LoadHandler(load: load, tickets: tickets, done: done))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        finished.append(done.futureResult)
    }
    var result = LoadResult(latenciesNanoseconds: [], failures: 0, seconds: 0)
    for connection in finished {
        let tally = try await connection.get()
        result.latenciesNanoseconds += tally.latencies
        result.failures += tally.failures
    }
    result.seconds = Double((NIODeadline.now() - start).nanoseconds) / 1e9
    return result
}

/// Hands out request numbers to the connections until `total` are taken.
final class Tickets: Sendable {
    private let next = Atomic<Int>(0)
    let total: Int

    init(total: Int) { self.total = total }

    func take() -> Int? {
        let ticket = next.add(1, ordering: .relaxed).oldValue
        return ticket < total ? ticket : nil
    }
}

struct ConnectionTally: Sendable {
    var latencies: [UInt64] = []
    var failures = 0
}

// MARK: - LoadHandler

/// One client connection: sends a request, times its answer, sends the next, closes when tickets run out.
final class LoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let load: Load
    private let tickets: Tickets
    private let done: EventLoopPromise<ConnectionTally>
    private var tally = ConnectionTally()
    private var sentAt = NIODeadline.now()
    private var status: HTTPResponseStatus = .ok

    init(load: Load, tickets: Tickets, done: EventLoopPromise<ConnectionTally>) {
        self.load = load
        self.tickets = tickets
        self.done = done
    }

    func channelActive(context: ChannelHandlerContext) {
        sendNext(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body:
            break
        case .end:
            tally.latencies.append(UInt64((NIODeadline.now() - sentAt).nanoseconds))
            if status != .ok { tally.failures += 1 }
            sendNext(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.succeed(tally)  // a second completion (after errorCaught) is ignored by NIO
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        tally.failures += 1
        context.close(promise: nil)
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard let ticket = tickets.take() else {
            context.close(promise: nil)
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "host", value: "127.0.0.1")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/value/\(load.key(of: ticket))", headers: headers)
        sentAt = NIODeadline.now()
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
