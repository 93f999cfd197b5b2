// A guided tour of DeferredKit. Run it with `swift run Tour`, and read this file alongside its output:
// each section below prints one numbered scene.
import DeferredKit

func section(_ title: String) { print("\n— \(title)") }
func show<T>(_ label: String, _ result: Result<T, any Error>?) {
    switch result {
    case .success(let value)?: print("  \(label): resolved with \(value)")
    case .failure(let error)?: print("  \(label): rejected with \(type(of: error)) \(error)")
    case nil: print("  \(label): pending")
    }
}
struct Oops: Error, CustomStringConvertible { var description: String { "oops" } }

print("A tour of DeferredKit. Read Examples/Tour/main.swift alongside this output: each numbered scene")
print("below is the section of that file with the same number.")

// MARK: 1. A shared one-shot result

section("1. A Deferred is a shared one-shot result")
let greeting = Deferred<String>()
greeting.whenComplete { print("  observer A sees \($0)") }
greeting.whenComplete { print("  observer B sees \($0)") }
print("  resolve(\"hello\") returns \(greeting.resolve("hello")); a second resolve returns \(greeting.resolve("again"))")
print("  (the second one was reported above by the default diagnostics handler, on standard error)")

// MARK: 2. Observers

section("2. Observers run synchronously, in order, never nested")
let order = Deferred<Int>()
order.whenComplete { _ in
    print("  first observer starts; it adds another observer")
    order.whenComplete { _ in print("  the observer added while observers ran runs after them") }
    print("  first observer ends")
}
order.whenComplete { _ in print("  second observer") }
order.resolve(1)
print("  resolve returned: every observer had already run")
Deferred.resolved(2).whenComplete { print("  an observer added after completion runs at once: \($0)") }

// MARK: 3. Chaining

section("3. Chaining is explicit: each step returns a new Deferred")
let source = Deferred<Int>()
let doubled = source.map { $0 * 2 }
let described = doubled.flatMap { value in Deferred.resolved("value is \(value)") }
let failing = source.map { _ -> Int in throw Oops() }
let recovered = failing.map { $0 + 1 }.recover { _ in -1 }
let logged = recovered.always { print("  always sees \($0)") }
source.resolve(21)
show("source (unchanged)", source.result)
show("map", doubled.result)
show("flatMap", described.result)
show("map that throws", failing.result)
show("error skipped map and reached recover", logged.result)

// MARK: 4. No recursion

section("4. Chains run in a loop: no hand-off recurses")
let root = Deferred<Int>()
var tail = root
for _ in 0..<100_000 { tail = tail.map { $0 + 1 } }
root.resolve(0)
show("tail of a 100,000-link map chain", tail.result)
print("  (swift run -c release ChainDepth runs 1,000,000-link chains of every kind)")

// MARK: 5. Cancellation

section("5. Cancellation: the canceller runs once, then CancellationError unless it supplied a result")
let request = Deferred<String> { _ in print("  canceller: aborting the request") }
request.cancel()
request.cancel()
show("cancelled request", request.result)
let cached = Deferred<String> { $0.resolve("stale copy") }
cached.cancel()
show("cancelled with a canceller that supplies a value", cached.result)

// MARK: 6. Cancellation follows interest

section("6. Cancellation follows interest")
let shared = Deferred<Int> { _ in print("  shared work cancelled: nobody wants it any more") }
let forA = shared.map { $0 + 1 }
let forB = shared.map { $0 + 2 }
forA.cancel()
show("A withdrew", forA.result)
show("shared work, still wanted by B", shared.result)
forB.cancel()
show("B withdrew too; the shared work", shared.result)

// MARK: 7. Awaiting

section("7. Awaiting: a completed Deferred returns at once; a pending one suspends once")
print("  try await Deferred.resolved(7).value = \(try await Deferred.resolved(7).value)")
let later = Deferred<String>()
Task { later.resolve("from another task") }
print("  awaited a pending Deferred: \(try await later.value)")
let unwanted = Deferred<Int> { $0.resolve(0) }
let waiter = Task { try await unwanted.value }
waiter.cancel()
print("  a cancelled waiter that was the last dependent gets the canceller's value: \(try await waiter.value)")

// MARK: 8. Tasklets

section("8. Deferred { … } runs async code at once, as a Deferred")
let quick = Deferred { 6 * 7 }
show("a body that never suspends is already resolved", quick.result)
let early = Deferred<Int> { throw Oops() }
show("a body that throws before suspending is already rejected", early.result)
let gate = Deferred<Int>()
let patient = Deferred { () async throws -> String in
    do { return "got \(try await gate.value)" } catch is CancellationError { return "cancelled, cleaned up" }
}
show("a body waiting on a pending Deferred", patient.result)
patient.cancel()
print("  after cancel(), the body caught CancellationError and returned: \(try await patient.value)")

// MARK: 9. Completion handlers

section("9. Completion handlers in and out")
func legacyFetch(_ id: Int, completion: @escaping @Sendable (String?, (any Error)?) -> Void) {
    completion("user #\(id)", nil)
}
let user = Deferred<String>.fromCallback { done in legacyFetch(3, completion: done) }
show("fromCallback", user.result)
let empty = Deferred<String>.fromCallback { done in done(nil, nil) }
show("a handler called with (nil, nil)", empty.result)
Deferred { "async result" }.whenComplete { result in print("  async code into a completion handler: \(result)") }

// MARK: 10. Diagnostics

section("10. Diagnostics: unhandled errors, double completions, foreign completions, abandoned work")
DeferredDiagnostics.setHandler { event in print("  diagnostic: \(event)") }
do {
    let forgotten = Deferred<Int>()
    forgotten.reject(Oops())
}
let twice = Deferred<Int>()
twice.resolve(1)
twice.resolve(2)
let twiceDoubled = twice.map { $0 * 2 }
print("  a derived Deferred is completed by the library only: resolve returns \(twiceDoubled.resolve(0))")
let neverCalledBack = Deferred<Int>.fromCallback { (_: @escaping @Sendable (Result<Int, any Error>) -> Void) in }
show("a completion handler dropped without being called", neverCalledBack.result)
DeferredDiagnostics.resetHandler()

// MARK: 11. Combinators

section("11. Combinators wait for several Deferreds at once")
let left = Deferred<String>()
let right = Deferred<String>()
let both = Deferred.all([left, right])
right.resolve("R")
show("all, after only the right input resolved", both.result)
left.resolve("L")
show("all, after both resolved (input order, not completion order)", both.result)
let outcomes = Deferred.allSettled([Deferred<Int>.resolved(1), Deferred<Int>.rejected(Oops())]).map { results in
    results.map { result in (try? result.get()).map { "value \($0)" } ?? "an error" }
}
show("allSettled keeps every outcome", outcomes.result)

// MARK: 12. Coordination

section("12. Coordination: a lock that hands out Deferreds instead of blocking")
let lock = DeferredLock()
let firstHolder = lock.acquire()
let secondHolder = lock.acquire()
show("first acquire (the lock was free)", firstHolder.result)
show("second acquire (the lock is held)", secondHolder.result)
lock.release()
show("second acquire, after the first holder released", secondHolder.result)
lock.release()

// MARK: 13. Time

section("13. Time: a timeout on a ManualClock, without sleeping")
let clock = ManualClock()
let slowReply = Deferred<String>()
let timedReply = slowReply.timeout(after: .seconds(5), clock: clock)
clock.advance(by: .seconds(4))
show("after 4 s", timedReply.result)
clock.advance(by: .seconds(1))
show("after 5 s (the timer fired inside advance)", timedReply.result)

print("""

That was the core, with one scene each from the families. Each family has a runnable example of its own:
  swift run Avatars           combinators: the avatar race, a memo of in-flight work, counting with all
  swift run DeferredInit      coordination: an object whose initialisation is asynchronous, a graceful shutdown
  swift run -c release LockStorm    a million lock waiters, each releasing in its own observer
  swift run SMSQueue          the resizable job queue: rate, resize, pause, graceful stop and restart
  swift run FlakyService      retrying with backoff, and a timeout that reaches the next step
  swift run ProgressDownload  progress events driving a progress bar
  swift run -c release ChainDepth   1,000,000-link chains of every kind
""")
