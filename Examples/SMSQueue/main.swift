// The seed's SMS sender (txrdq): send messages through a DeferredJobQueue at a controlled rate, resize it,
// pause it, stop it gracefully, save the jobs that had not gone out and re-queue them on "restart".
// Time is a ManualClock, so the program runs in an instant and prints the same thing every time.
import DeferredKit

struct SMS: Sendable, CustomStringConvertible {
    let number: String
    let text: String
    var description: String { "\(number): \(text)" }
}

let clock = ManualClock()

/// The slow gateway: each message takes one second to send.
@Sendable func sendSMS(_ message: SMS) -> Deferred<String> {
    Deferred<String>.delayed(by: .seconds(1), clock: clock) { "receipt for \(message.number)" }
}

func show(_ queue: DeferredJobQueue<SMS, String>, _ label: String) {
    let underway = queue.underway().map(\.argument.number).joined(separator: " ")
    print("t=\(clock.now.offset) \(label): width \(queue.width), underway [\(underway)], pending \(queue.pending().count)")
}

let queue = DeferredJobQueue<SMS, String>(width: 2, clock: clock, handler: sendSMS)
for n in 1...12 {
    let number = "555-01" + (n < 10 ? "0\(n)" : "\(n)")
    queue.put(SMS(number: number, text: "Hello #\(n)"), priority: n == 7 ? 0 : 5)
        .whenComplete { result in
            switch result {
            case .success(let job): print("  sent \(job.argument.number) (\(job.output!)) at t=\(job.stoppedAt!)")
            case .failure(let error as DeferredJobQueueError):
                let number = error.job(as: DeferredJobQueue<SMS, String>.Job.self)?.argument.number ?? "?"
                print("  not sent \(number): \(error.underlyingError)")
            case .failure(let error): print("  unexpected \(error)")
            }
        }
}
show(queue, "12 messages put (#7 has priority 0: first among the waiting ones)")

print("-- cancel #3 from the admin list of pending jobs")
if let doomed = queue.pending().first(where: { $0.argument.number.hasSuffix("03") }) { queue.cancel(doomed) }
clock.advance(by: .seconds(1))
show(queue, "after 1 s")

print("-- widen the pipeline to 4")
queue.width = 4
show(queue, "widened")

print("-- dispatching too fast: down to 1 (running jobs finish; none starts until fewer than 1 are underway)")
queue.width = 1
show(queue, "narrowed")
clock.advance(by: .seconds(1))
show(queue, "1 s later")

print("-- pause")
queue.pause()
clock.advance(by: .seconds(3))
show(queue, "paused for 3 s")
queue.resume(width: 2)
show(queue, "resumed with width 2")

print("-- graceful stop: wait for the underway messages, save the rest")
let stopped = queue.stop()
show(queue, "stopping")
clock.advance(by: .seconds(1))
let saved = try! stopped.result!.get()
print("saved for restart: \(saved.map(\.argument.number))")

print("-- restart: a new queue re-queues the saved jobs")
let restarted = DeferredJobQueue<SMS, String>(width: 3, clock: clock, handler: sendSMS)
let resent = saved.map { restarted.put($0.argument, priority: $0.priority) }
clock.advance(by: .seconds(1))
print("re-sent \(resent.filter(\.isComplete).count) of \(saved.count) saved messages")
