// The seeds' "__init__ that returns a Deferred", the Swift way — plus the graceful-shutdown pool.
//
// 1. An actor whose initialiser is `async`: callers simply `await` construction; no half-built object
//    ever escapes, so there is nothing to gate.
// 2. When the object must exist at once (it is handed out before its setup finishes), a readiness gate:
//    every method first waits on one shared `Deferred<Void>`, so callers queue until the instance is
//    ready and then run in the order they called — deferredInitMixin without swapping methods.
// 3. A service that tracks its in-flight requests in a `DeferredPool`, stops taking new ones on
//    shutdown and waits for the pool to drain; an outbox `DeferredQueue` with a `DeferredSemaphore`
//    limiting how many sends run at once (the SMS queue of a later issue).
import DeferredKit

// MARK: - 1. async init

actor PhoneBook {
    private var numbers: [String: String] = [:]

    init(loading source: Deferred<[String: String]>) async throws {
        numbers = try await source.value  // the "Deferred returned by __init__", awaited by the initialiser
    }

    func number(of name: String) -> String? { numbers[name] }
}

let contacts = Deferred<[String: String]>()
let bookTask = Task { try await PhoneBook(loading: contacts) }
contacts.resolve(["ada": "+44 20 7946 0001", "alan": "+44 20 7946 0002"])
let book = try await bookTask.value
print("1. actor ready after async init: ada ->", await book.number(of: "ada") ?? "?")

// MARK: - 2. readiness gate

/// A connection that is usable at once but ready only when its handshake completes.
final class Connection: Sendable {
    private let ready: Deferred<Void>
    private let log: DeferredQueue<String>

    init(handshake: Deferred<Void>, log: DeferredQueue<String>) {
        self.ready = handshake
        self.log = log
    }

    /// Queues until the connection is ready, then runs (in call order).
    func send(_ text: String) -> Deferred<Int> {
        ready.map { [log] in
            log.put("sent \(text)")
            return text.count
        }
    }

    /// The async form of the same gate.
    func sendAndWait(_ text: String) async throws -> Int {
        try await send(text).value
    }
}

let log = DeferredQueue<String>()
let handshake = Deferred<Void>()
let connection = Connection(handshake: handshake, log: log)
let early = [connection.send("hello"), connection.send("world")]
print("2. before handshake: \(log.count) sent, first send complete: \(early[0].isComplete)")
handshake.resolve(())
print("   after handshake:  \(log.count) sent, in order:", try log.get().result!.get(), "/", try log.get().result!.get())
print("   a later call runs at once:", try await connection.sendAndWait("again"), "characters")

// MARK: - 3. graceful shutdown

/// Sends messages, at most two at a time, and can shut down gracefully.
final class Outbox: Sendable {
    private let inFlight = DeferredPool()
    private let senders = DeferredSemaphore(tokens: 2)
    private let accepting = DeferredDictionary<String, Bool>(["open": true])
    let network: DeferredQueue<(String, Deferred<Void>)>

    init(network: DeferredQueue<(String, Deferred<Void>)>) { self.network = network }

    func send(_ message: String) -> Deferred<Void> {
        guard accepting.currentValue(for: "open") == true else { return .rejected(ShutDown()) }
        return inFlight.add(senders.run { [network] in
            let delivered = Deferred<Void>()
            network.put((message, delivered))  // the "network" completes `delivered` later
            return delivered
        })
    }

    func shutDown() -> Deferred<Void> {
        accepting.updateValue(false, forKey: "open")
        return inFlight.whenEmpty()
    }

    var pending: Int { inFlight.count }
    struct ShutDown: Error {}
}

let network = DeferredQueue<(String, Deferred<Void>)>()
let outbox = Outbox(network: network)
for n in 1...5 { _ = outbox.send("sms \(n)") }
print("3. five sends: \(outbox.pending) in flight, \(network.count) on the wire (two senders)")
let stopped = outbox.shutDown()
print("   shutting down; new send refused:", outbox.send("late").result.map { (try? $0.get()) == nil } == true)
var deliveredCount = 0
while !stopped.isComplete {
    let (message, delivered) = try await network.take()
    delivered.resolve(())
    deliveredCount += 1
    print("   delivered \(message); \(outbox.pending) still in flight")
}
print("   pool drained after \(deliveredCount) deliveries: shutdown complete")
