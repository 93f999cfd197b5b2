import Testing
@testable import DeferredKit

extension Model {
    @Suite struct QueueModelTests {
        /// Random put / get / cancel (and, rarely, finish) sequences on a `DeferredQueue`, checked against
        /// `QueueModel`; a third of the queues have a `size` or `backlog` limit.
        @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
        @Test func queueFollowsTheModel() async {
            DiagnosticsSpy.install()
            await Model.run("DeferredQueue", filter: "Model.QueueModelTests") { sequence, steps in
                await QueueDriver(sequence).run(steps: steps)
            }
        }
    }

    /// Plays one random sequence on a `DeferredQueue<Int>` and on `QueueModel` side by side.
    ///
    /// Half the gets are observed with `whenComplete` and cancelled with `cancel()` on their Deferred; the
    /// others are awaited by a task and cancelled by cancelling the task.
    @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
    final class QueueDriver {
        let sequence: SequenceRun
        var steps = 0
        var model: QueueModel
        let queue: DeferredQueue<Int>
        var gets: [Deferred<Int>] = []
        /// Per get, for awaited ones: the task, and what its await returned.
        var tasks: [(task: Task<Void, Never>, outcome: Locked<Outcome?>)?] = []
        /// Per get, for observed ones: what its `whenComplete` received.
        var observed: [Locked<[Outcome]>?] = []
        /// The gets whose state may still change.
        var unsettled: [Int] = []
        /// Each completion of a waiter from outside must be refused and reported as `completedByNonOwner`.
        var expectedCompletedByNonOwner = 0
        var nextElement = 1

        init(_ sequence: SequenceRun) {
            self.sequence = sequence
            let size = sequence.random.chance(33) ? 1 + sequence.random.below(4) : nil
            let backlog = sequence.random.chance(33) ? 1 + sequence.random.below(4) : nil
            model = QueueModel(size: size, backlog: backlog)
            queue = DeferredQueue(size: size, backlog: backlog)
        }

        func run(steps: Int) async {
            self.steps = steps
            sequence.begin(
                "create DeferredQueue(size: \(String(describing: model.size)), "
                    + "backlog: \(String(describing: model.backlog)))")
            for step in 0..<steps {
                sequence.step = step
                performRandomStep()
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            // Finale: serve every waiting get, then take every buffered element; every accepted element
            // must then have reached exactly one get that was not cancelled.
            var step = steps
            while !model.line.isEmpty || !model.buffer.isEmpty {
                sequence.step = step
                step += 1
                if model.line.isEmpty { get(awaited: false) } else { put() }
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            if model.isFinished {
                // A finished, drained queue refuses puts and rejects gets with QueueFinished.
                sequence.step = step
                put()
                get(awaited: false)
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            sequence.begin("final check")
            sequence.check(queue.count == 0 && queue.waitingCount == 0, "the queue is not empty at the end")
            var delivered: [Int] = []
            for get in gets {
                if case .success(let element)? = get.result { delivered.append(element) }
            }
            sequence.check(
                delivered.sorted() == model.accepted.sorted(),
                "delivered \(delivered.count) elements of the \(model.accepted.count) accepted, or some twice")
            for case let entry? in tasks { await entry.task.value }
        }

        func abandon() {
            for case let entry? in tasks { entry.task.cancel() }
            for get in gets { get.cancel() }
        }

        func performRandomStep() {
            if sequence.step == steps - 1, sequence.random.chance(25) { return finish() }
            let roll = sequence.random.below(100)
            let waiting = model.line
            switch roll {
            case 0..<30:
                put()
            case 30..<50:
                get(awaited: false)
            case 50..<65:
                get(awaited: true)
            case 65..<96 where !waiting.isEmpty:
                // Mostly a waiting get; sometimes any (cancelling a served one changes nothing).
                let any = sequence.random.chance(15)
                cancel(any ? sequence.random.below(gets.count) : waiting[sequence.random.below(waiting.count)])
            case 65..<96 where !gets.isEmpty && sequence.random.chance(10):
                cancel(sequence.random.below(gets.count))
            case 96..<100 where !waiting.isEmpty:
                completeFromOutside(waiting[sequence.random.below(waiting.count)])
            default:
                if sequence.random.chance(50) { put() } else { get(awaited: sequence.random.chance(40)) }
            }
        }

        // MARK: Operations

        func put() {
            let element = nextElement
            nextElement += 1
            let expected = model.put(element)
            sequence.begin("put \(element): \(expected)")
            switch expected {
            case .handedTo: sequence.count("puts handed to a waiting get")
            case .buffered: break
            case .overflow: sequence.count("overflows")
            case .finished: sequence.count("puts after finish")
            }
            do {
                try queue.put(element)
                switch expected {
                case .buffered, .handedTo: break
                case .overflow, .finished: sequence.fail("put \(element) succeeded; the model says \(expected)")
                }
            } catch is QueueOverflow {
                sequence.check(expected == .overflow, "put \(element) overflowed; the model says \(expected)")
            } catch is QueueFinished {
                sequence.check(
                    expected == .finished, "put \(element) found the queue finished; the model says \(expected)")
            } catch {
                sequence.fail("put \(element) threw \(error)")
            }
        }

        func get(awaited: Bool) {
            let expected = model.get()
            sequence.begin("get \(expected.map(String.init) ?? "(backlog full)")\(awaited ? " awaited by a task" : "")"
                + "\(expected.map { ": \(model.gets[$0])" } ?? "")")
            let deferred: Deferred<Int>
            do {
                deferred = try queue.get()
            } catch {
                sequence.check(
                    expected == nil, "get threw \(error); the model says get \(expected!) (\(model.gets[expected!]))")
                sequence.count("underflows")
                return
            }
            guard let get = expected else { return sequence.fail("get did not throw QueueUnderflow") }
            if model.gets[get] == .waiting { sequence.count("waiting gets") }
            precondition(get == gets.count, "model and driver disagree on get numbering")
            gets.append(deferred)
            unsettled.append(get)
            if awaited {
                let box = Locked<Outcome?>(nil)
                let task = Task.immediate {
                    let outcome: Outcome
                    do {
                        outcome = .value(try await deferred.value)
                    } catch {
                        outcome = Outcome(error: error)
                    }
                    box.withLock { $0 = outcome }
                }
                tasks.append((task, box))
                observed.append(nil)
            } else {
                let records = Locked<[Outcome]>([])
                tasks.append(nil)
                observed.append(records)
                deferred.whenComplete { result in records.withLock { $0.append(Outcome(result)) } }
            }
        }

        func cancel(_ get: Int) {
            sequence.begin("cancel get \(get) (\(model.gets[get]))")
            if model.gets[get] == .waiting {
                sequence.count(tasks[get] != nil ? "cancelled awaiting tasks" : "cancelled waiting gets")
            } else {
                sequence.count("cancels with no effect")
            }
            model.cancel(get)
            if let entry = tasks[get] {
                entry.task.cancel()
            } else {
                gets[get].cancel()
            }
        }

        func completeFromOutside(_ get: Int) {
            sequence.begin("resolve waiting get \(get) from outside")
            let expected = model.completeFromOutside(get)
            expectedCompletedByNonOwner += 1
            let returned = gets[get].resolve(-1, file: #fileID, line: sequence.diagnosticsLine)
            sequence.count("outside completions")
            sequence.check(returned == expected, "resolving a waiting get from outside returned \(returned)")
        }

        func finish() {
            sequence.begin("finish")
            sequence.count("finished queues")
            model.finish()
            queue.finish()
        }

        // MARK: Checking

        func verify() async {
            if sequence.hasFailed { return }
            let reports = DiagnosticsSpy.count(.completedByNonOwner, at: CallSite(#fileID, sequence.diagnosticsLine))
            sequence.check(
                reports == expectedCompletedByNonOwner,
                "\(reports) completedByNonOwner reports; the model expects \(expectedCompletedByNonOwner)")
            sequence.check(
                queue.count == model.buffer.count, "\(queue.count) buffered; the model says \(model.buffer.count)")
            sequence.check(
                queue.waitingCount == model.line.count,
                "\(queue.waitingCount) gets waiting; the model says \(model.line.count)")
            var stillUnsettled: [Int] = []
            for get in unsettled {
                let state = model.gets[get]
                let expected = state.outcome
                // `isComplete` first: the common case, a get still waiting, is the cheapest check.
                let actual = gets[get].isComplete ? gets[get].result.map(Outcome.init) : nil
                sequence.check(
                    actual == expected,
                    "get \(get) (\(state)) has \(actual.map(String.init(describing:)) ?? "no result")")
                if let entry = tasks[get] {
                    if let expected {
                        await sequence.settle("the task awaiting get \(get) returning") {
                            entry.outcome.withLock { $0 != nil }
                        }
                        let received = entry.outcome.withLock { $0 }
                        sequence.check(received == expected, "the task awaiting get \(get) got \(received!)")
                    } else if let early = entry.outcome.withLock({ $0 }) {
                        sequence.fail("the task awaiting get \(get) returned \(early) while waiting")
                    }
                }
                if let records = observed[get] {
                    let received = records.withLock { $0 }
                    sequence.check(
                        received == (expected.map { [$0] } ?? []),
                        "the observer of get \(get) received \(received)")
                }
                if state == .waiting { stillUnsettled.append(get) }
            }
            unsettled = stillUnsettled
        }
    }
}
