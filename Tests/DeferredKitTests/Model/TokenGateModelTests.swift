import Testing
@testable import DeferredKit

extension Model {
    @Suite struct TokenGateModelTests {
        /// Random acquire / release / cancel sequences on a `DeferredLock`, checked against `TokenGateModel`.
        @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
        @Test func lockFollowsTheModel() async {
            DiagnosticsSpy.install()
            await Model.run("DeferredLock", filter: "Model.TokenGateModelTests/lockFollowsTheModel") {
                sequence, steps in
                let lock = DeferredLock()
                let gate = GateUnderTest(
                    limit: 1, acquire: { lock.acquire() }, release: { lock.release() },
                    freeTokens: { lock.isLocked ? 0 : 1 }, waiting: { lock.waitingCount })
                await TokenGateDriver(sequence, gate).run(steps: steps)
            }
        }

        /// The same with a `DeferredSemaphore` of 1 to 4 tokens.
        @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
        @Test func semaphoreFollowsTheModel() async {
            DiagnosticsSpy.install()
            await Model.run("DeferredSemaphore", filter: "Model.TokenGateModelTests/semaphoreFollowsTheModel") {
                sequence, steps in
                let tokens = 1 + sequence.random.below(4)
                let semaphore = DeferredSemaphore(tokens: tokens)
                let gate = GateUnderTest(
                    limit: tokens, acquire: { semaphore.acquire() }, release: { semaphore.release() },
                    freeTokens: { semaphore.availableTokens }, waiting: { semaphore.waitingCount })
                await TokenGateDriver(sequence, gate).run(steps: steps)
            }
        }
    }

    /// A lock or a semaphore, seen through what the model checks.
    struct GateUnderTest {
        let limit: Int
        let acquire: () -> Deferred<Void>
        let release: () -> Void
        let freeTokens: () -> Int
        let waiting: () -> Int
    }

    /// Plays one random sequence on a lock or semaphore and on `TokenGateModel` side by side.
    ///
    /// Half the acquires are observed with `whenComplete` (which logs grants in the order they happen, and
    /// is cancelled with `cancel()` on the acquire's Deferred); the others are awaited by a task (cancelled
    /// by cancelling the task, which withdraws the last dependent and so cancels the acquire).
    @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
    final class TokenGateDriver {
        let sequence: SequenceRun
        let gate: GateUnderTest
        var model: TokenGateModel
        var acquires: [Deferred<Void>] = []
        /// Per acquire, for awaited ones: the task, and what its await returned.
        var tasks: [(task: Task<Void, Never>, outcome: Locked<Outcome?>)?] = []
        /// The observed acquires, in the order their grants arrived.
        let grantLog = Locked<[Int]>([])
        /// The model's grants to observed acquires, and how many of the model's grants were looked at.
        var expectedGrantLog: [Int] = []
        var grantsSeen = 0
        /// The acquires whose state may still change.
        var unsettled: [Int] = []
        /// Each completion of a waiter from outside must be refused and reported as `completedByNonOwner`.
        var expectedCompletedByNonOwner = 0

        init(_ sequence: SequenceRun, _ gate: GateUnderTest) {
            self.sequence = sequence
            self.gate = gate
            model = TokenGateModel(limit: gate.limit)
        }

        func run(steps: Int) async {
            for step in 0..<steps {
                sequence.step = step
                performRandomStep()
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            // Finale: release every token (handing each to the next waiter) until nobody holds one; then no
            // token may be missing and nobody may wait.
            var step = steps
            while let holder = model.holders.first {
                sequence.step = step
                step += 1
                release(holder)
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            sequence.begin("final check")
            sequence.check(
                gate.freeTokens() == gate.limit, "\(gate.freeTokens()) of \(gate.limit) tokens free at the end")
            sequence.check(gate.waiting() == 0, "\(gate.waiting()) acquires still waiting at the end")
            sequence.check(grantLog.withLock { $0 } == expectedGrantLog, "grants happened out of order")
            for case let entry? in tasks { await entry.task.value }
        }

        func abandon() {
            for case let entry? in tasks { entry.task.cancel() }
            for acquire in acquires { acquire.cancel() }
        }

        func performRandomStep() {
            let roll = sequence.random.below(100)
            let waiting = model.line
            switch roll {
            case 0..<24:
                acquire(awaited: false)
            case 24..<40:
                acquire(awaited: true)
            case 40..<72 where !model.holders.isEmpty:
                release(model.holders[sequence.random.below(model.holders.count)])
            case 72..<97 where !waiting.isEmpty:
                // Mostly a waiting acquire; sometimes any (cancelling a granted one changes nothing).
                let any = sequence.random.chance(15)
                cancel(any ? sequence.random.below(acquires.count) : waiting[sequence.random.below(waiting.count)])
            case 72..<97 where !acquires.isEmpty && sequence.random.chance(10):
                cancel(sequence.random.below(acquires.count))
            case 97..<100 where !waiting.isEmpty:
                completeFromOutside(waiting[sequence.random.below(waiting.count)])
            default:
                acquire(awaited: sequence.random.chance(40))
            }
        }

        // MARK: Operations

        func acquire(awaited: Bool) {
            let waiter = model.acquire()
            sequence.begin("acquire \(waiter)\(awaited ? " (awaited by a task)" : ""): \(model.waiters[waiter])")
            precondition(waiter == acquires.count, "model and driver disagree on waiter numbering")
            let deferred = gate.acquire()
            acquires.append(deferred)
            unsettled.append(waiter)
            if awaited {
                let box = Locked<Outcome?>(nil)
                let task = Task.immediate {
                    let outcome: Outcome
                    do {
                        try await deferred.value
                        outcome = .value(0)
                    } catch {
                        outcome = Outcome(error: error)
                    }
                    box.withLock { $0 = outcome }
                }
                tasks.append((task, box))
            } else {
                tasks.append(nil)
                let log = grantLog
                deferred.whenComplete { result in
                    if case .success = result { log.withLock { $0.append(waiter) } }
                }
            }
        }

        func release(_ holder: Int) {
            let next = model.release(holder)
            if next != nil { sequence.count("releases handing the token on") }
            sequence.begin("release by \(holder)\(next.map { ", handing the token to \($0)" } ?? "")")
            gate.release()
        }

        func cancel(_ waiter: Int) {
            sequence.begin("cancel acquire \(waiter) (\(model.waiters[waiter]))")
            let isAwaited = tasks[waiter] != nil
            switch model.waiters[waiter] {
            case .waiting: sequence.count(isAwaited ? "cancelled awaiting tasks" : "cancelled waiting acquires")
            default: sequence.count("cancels with no effect")
            }
            model.cancel(waiter)
            if let entry = tasks[waiter] {
                entry.task.cancel()
            } else {
                acquires[waiter].cancel()
            }
        }

        func completeFromOutside(_ waiter: Int) {
            sequence.begin("resolve waiting acquire \(waiter) from outside")
            let expected = model.completeFromOutside(waiter)
            expectedCompletedByNonOwner += 1
            let returned = acquires[waiter].resolve((), file: #fileID, line: sequence.diagnosticsLine)
            sequence.count("outside completions")
            sequence.check(returned == expected, "resolving a waiting acquire from outside returned \(returned)")
        }

        // MARK: Checking

        /// Token and line counts; every unsettled acquire's Deferred (and awaiting task) against the model;
        /// the grant order so far.
        func verify() async {
            if sequence.hasFailed { return }
            let reports = DiagnosticsSpy.count(.completedByNonOwner, at: DeferredCallSite(#fileID, sequence.diagnosticsLine))
            sequence.check(
                reports == expectedCompletedByNonOwner,
                "\(reports) completedByNonOwner reports; the model expects \(expectedCompletedByNonOwner)")
            let free = gate.freeTokens()
            sequence.check(free == model.freeTokens, "\(free) tokens free; the model says \(model.freeTokens)")
            let waiting = gate.waiting()
            sequence.check(
                waiting == model.line.count, "\(waiting) acquires waiting; the model says \(model.line.count)")
            var stillUnsettled: [Int] = []
            for waiter in unsettled {
                let state = model.waiters[waiter]
                // `isComplete` first: the common case, an acquire still waiting, is the cheapest check.
                let actual = acquires[waiter].isComplete ? acquires[waiter].result.map(Outcome.init) : nil
                let expected: Outcome? = switch state {
                case .waiting: nil
                case .holding, .released: .value(0)
                case .cancelled: .cancelled
                }
                sequence.check(
                    actual == expected,
                    "acquire \(waiter) (\(state)) has \(actual.map(String.init(describing:)) ?? "no result")")
                if let entry = tasks[waiter] {
                    if let expected {
                        await sequence.settle("the task awaiting acquire \(waiter) returning") {
                            entry.outcome.withLock { $0 != nil }
                        }
                        let received = entry.outcome.withLock { $0 }
                        sequence.check(received == expected, "the task awaiting acquire \(waiter) got \(received!)")
                    } else if let early = entry.outcome.withLock({ $0 }) {
                        sequence.fail("the task awaiting acquire \(waiter) returned \(early) while waiting")
                    }
                }
                if state == .waiting { stillUnsettled.append(waiter) }
            }
            unsettled = stillUnsettled
            // A step grants at most one acquire, so comparing the newest entry each step checks the order.
            while grantsSeen < model.grants.count {
                let granted = model.grants[grantsSeen]
                grantsSeen += 1
                if tasks[granted] == nil { expectedGrantLog.append(granted) }
            }
            let (count, last) = grantLog.withLock { ($0.count, $0.last) }
            sequence.check(
                count == expectedGrantLog.count && last == expectedGrantLog.last,
                "\(count) observed grants, the last to \(last.map(String.init) ?? "nobody"); the model has "
                    + "\(expectedGrantLog.count), the last to \(expectedGrantLog.last.map(String.init) ?? "nobody")")
        }
    }
}
