// Two seed scenarios on a ManualClock:
//  1. RetryingCall: call a flaky service, retrying with the seed's backoff (0, 0.01, 0.02 … 2.56 s),
//     treating only "gateway timeout" as transient.
//  2. The two-step pipeline: step 1 has a timeout; when it times out, step 2 receives the timeout
//     error as its input.
import DeferredKit
import Synchronization

let clock = ManualClock()

struct HTTPError: Error, CustomStringConvertible {
    let status: Int
    var description: String { "HTTP \(status)" }
}

/// A service that answers 504 three times, then 200.
final class FlakyService: Sendable {
    let calls = Atomic<Int>(0)
    func get(_ path: String) -> Deferred<String> {
        let n = calls.add(1, ordering: .relaxed).newValue
        print("  t=\(clock.now.offset) call #\(n) GET \(path)")
        return n <= 3 ? .rejected(HTTPError(status: 504)) : .resolved("200 OK: \(path)")
    }
}

print("1. Retrying a flaky service (504 is transient, anything else is not)")
let service = FlakyService()
let page = Deferred<String>.retrying(
    shouldRetry: { error, attempt in
        print("    attempt \(attempt) failed with \(error)")
        return (error as? HTTPError)?.status == 504
    },
    clock: clock
) { service.get("/users/fluidinfo") }
clock.advance(by: .seconds(5))
print("  result: \(page.result!)")

print("   … and a service that never recovers:")
let hopeless = Deferred<String>.retrying(backoff: DeferredBackoff.exponential(count: 4), clock: clock) {
    Deferred<String>.rejected(HTTPError(status: 503))
}
clock.advance(by: .seconds(5))
if case .failure(let error as RetriesExhaustedError)? = hopeless.result {
    print("  gave up after \(error.attemptCount) tries; first failure: \(error.firstError!)")
}

print("\n2. Two-step pipeline: step 2 receives step 1's timeout")
let step1 = Deferred<Int>.delayed(by: .seconds(60), clock: clock) { 42 }   // too slow
let step2 = step1.timeout(after: .seconds(10), clock: clock).recover { error -> Int in
    print("  step 2 received: \(error)")
    return -1
}
clock.advance(by: .seconds(10))
print("  step 2 result: \(step2.result!); step 1 was cancelled: \(step1.result!)")
