// Avatars: the combinators at work on the scenarios of their seeds.
//
// 1. txdlo's avatar lookup: ask the cache, the filesystem and the network at once; ignore failures
//    until all have failed; the winner is written back to the stores that missed.
// 2. A memo of in-flight work: concurrent callers of the same key share one computation.
// 3. App Engine's "count over a data set with all": count in shards, combine with `Deferred.all`
//    (and the same with a DeferredGroup's batched reduce, ndb's ReducingFuture).

import DeferredKit
import Synchronization

struct Miss: Error, CustomStringConvertible {
    let store: String
    var description: String { "\(store): miss" }
}

// MARK: - 1. The avatar race

/// A store whose lookups stay pending until the example answers them, so the order is visible.
final class Store: Sendable {
    let name: String
    private let contents = Mutex<[String: String]>([:])
    private let requests = Mutex<[(user: String, reply: Deferred<String>)]>([])

    init(_ name: String, contents: [String: String] = [:]) {
        self.name = name
        self.contents.withLock { $0 = contents }
    }

    func avatar(for user: String) -> Deferred<String> {
        let name = name
        let reply = Deferred<String> { [weak self] reply in
            self?.requests.withLock { $0.removeAll { $0.reply === reply } }
            print("  \(name): lookup cancelled")
        }
        requests.withLock { $0.append((user, reply)) }
        return reply
    }

    /// Answers the oldest pending request from the contents.
    func answer() {
        guard let (user, reply) = requests.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return }
        if let image = contents.withLock({ $0[user] }) {
            reply.resolve(image)
        } else {
            reply.reject(Miss(store: name))
        }
    }

    func write(_ image: String, for user: String) {
        contents.withLock { $0[user] = image }
        print("  \(name): stored \(image) for \(user)")
    }
}

/// Launches every lookup at once and takes the first success; the stores that failed get the winner.
func avatar(for user: String, from stores: [Store]) -> Deferred<String> {
    let lookups = stores.map { $0.avatar(for: user) }
    return Deferred.firstSuccess(lookups).map { winner in
        print("  \(stores[winner.index].name) won with \(winner.value)")
        for (store, lookup) in zip(stores, lookups) {
            if case .failure(let error)? = lookup.result, error is Miss { store.write(winner.value, for: user) }
        }
        return winner.value
    }
}

let cache = Store("cache")
let disk = Store("filesystem")
let gravatar = Store("gravatar", contents: ["ada": "ada.png"])
let stores = [cache, disk, gravatar]

print("1. Avatar race (cache and filesystem miss, the network answers):")
let first = avatar(for: "ada", from: stores)
cache.answer()
disk.answer()
gravatar.answer()
print("  result:", first.result!)

print("   Again — now the cache wins and the slower lookups are cancelled:")
let second = avatar(for: "ada", from: stores)
cache.answer()
print("  result:", second.result!)

print("   A user nobody knows — every lookup fails:")
let third = avatar(for: "bob", from: stores)
stores.forEach { $0.answer() }
if case .failure(let error)? = third.result { print("  error:", error) }

// MARK: - 2. A memo of in-flight work

/// Memoizes an expensive call by key: the cache holds Deferreds, so a second caller of a key whose
/// computation is still running shares it instead of starting another.
final class Memo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let calls = Mutex<[Key: Deferred<Value>]>([:])
    private let compute: @Sendable (Key) -> Deferred<Value>

    init(_ compute: @escaping @Sendable (Key) -> Deferred<Value>) { self.compute = compute }

    func callAsFunction(_ key: Key) -> Deferred<Value> {
        let (shared, isNew) = calls.withLock { calls -> (Deferred<Value>, Bool) in
            if let running = calls[key] { return (running, false) }
            let started = Deferred<Value>()
            calls[key] = started
            return (started, true)
        }
        if isNew {
            compute(key).whenComplete { shared.complete(with: $0) }
        }
        return shared.map { $0 }   // each caller gets its own derived Deferred to await or cancel
    }
}

print("\n2. Memo of in-flight work:")
let computations = Mutex(0)
let pendingWork = Mutex<[Deferred<Int>]>([])
let square = Memo<Int, Int> { n in
    computations.withLock { $0 += 1 }
    let work = Deferred<Int>()
    pendingWork.withLock { $0.append(work) }
    return work.map { _ in n * n }
}
let callers = (0..<3).map { _ in square(12) }
print("  3 callers asked for 12² while it runs; computations started:", computations.withLock { $0 })
pendingWork.withLock { $0 }.forEach { $0.resolve(0) }
print("  results:", callers.map { $0.result.flatMap { try? $0.get() } ?? -1 })
print("  a later caller gets the stored result:", square(12).result!, "— computations:", computations.withLock { $0 })

// MARK: - 3. Counting over a data set with all

print("\n3. Count the multiples of 7 below 100,000 in 10 shards:")
let shardSize = 10_000
let shards = (0..<10).map { shard in
    Deferred {
        var count = 0
        for n in shard * shardSize ..< (shard + 1) * shardSize where n % 7 == 0 { count += 1 }
        await Task.yield()   // a real shard would wait for storage here
        return count
    }
}
let total = Deferred.all(shards).map { $0.reduce(0, +) }
print("  per shard:", try await Deferred.all(shards).value)
print("  total with all:", try await total.value)

let group = DeferredGroup<Int>()
for shard in shards { group.add(shard) }
group.finish()
print("  total with a group's reduce:", try await group.reduce(batchSize: 4) { $0.reduce(0, +) }.value ?? 0)

let both = Deferred.all(total, Deferred.resolved("multiples of 7"))
let (count, label) = try await both.value
print("  heterogeneous all:", count, label)
