import Testing
@testable import DeferredKit

extension Model {
    @Suite struct QueueModelTests {
        /// Random put / offer / get / cancel sequences (and, at the end of some, finish) on a `DeferredQueue`,
        /// checked against `QueueModel`; most queues are bounded, some are rendezvous queues (capacity 0),
        /// a third limit the waiting gets.
        @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
        @Test func queueFollowsTheModel() async {
            DiagnosticsSpy.install()
            await Model.run("DeferredQueue", filter: "Model.QueueModelTests") { sequence, steps in
                await QueueDriver(sequence).run(steps: steps)
            }
        }
    }

    /// One get or put the driver made: how to read and cancel it.
    ///
    /// Half the gets and puts are observed with `whenComplete` and cancelled with `cancel()` on their
    /// Deferred; the others are awaited by a task and cancelled by cancelling the task (the last dependent
    /// out cancels the Deferred).
    struct QueueCall {
        let result: () -> Outcome?
        let isComplete: () -> Bool
        let cancelDeferred: () -> Void
        let completeFromOutside: (_ line: UInt) -> Bool
        var task: (task: Task<Void, Never>, outcome: Locked<Outcome?>)?
        var observed: Locked<[Outcome]>?

        @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate
        init<Value: Sendable>(
            _ deferred: Deferred<Value>, awaited: Bool,
            outcome: @escaping @Sendable (Result<Value, any Error>) -> Outcome
        ) {
            result = { deferred.isComplete ? deferred.result.map(outcome) : nil }
            isComplete = { deferred.isComplete }
            cancelDeferred = { deferred.cancel() }
            completeFromOutside = { line in deferred.reject(ModelError(code: -1), file: #fileID, line: line) }
            if awaited {
                let box = Locked<Outcome?>(nil)
                let task = Task.immediate {
                    let result: Result<Value, any Error>
                    do {
                        result = .success(try await deferred.value)
                    } catch {
                        result = .failure(error)
                    }
                    box.withLock { $0 = outcome(result) }
                }
                self.task = (task, box)
            } else {
                let records = Locked<[Outcome]>([])
                deferred.whenComplete { result in records.withLock { $0.append(outcome(result)) } }
                observed = records
            }
        }

        func cancel() {
            if let task { task.task.cancel() } else { cancelDeferred() }
        }
    }

    /// Plays one random sequence on a `DeferredQueue<Int>` and on `QueueModel` side by side.
    @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
    final class QueueDriver {
        let sequence: SequenceRun
        var steps = 0
        var model: QueueModel
        let queue: DeferredQueue<Int>
        var gets: [QueueCall] = []
        var puts: [QueueCall] = []
        /// The gets and puts whose state may still change.
        var unsettledGets: [Int] = []
        var unsettledPuts: [Int] = []
        var nextElement = 1
        /// Each completion of a get or put from outside must be refused and reported as `completedByNonOwner`.
        var expectedCompletedByNonOwner = 0

        init(_ sequence: SequenceRun) {
            self.sequence = sequence
            let roll = sequence.random.below(100)
            let capacity = roll < 40 ? nil : roll < 50 ? 0 : 1 + sequence.random.below(4)
            let maxPendingGets = sequence.random.chance(33) ? 1 + sequence.random.below(4) : nil
            model = QueueModel(capacity: capacity, maxPendingGets: maxPendingGets)
            queue = DeferredQueue(capacity: capacity, maxPendingGets: maxPendingGets)
        }

        func run(steps: Int) async {
            self.steps = steps
            sequence.begin(
                "create DeferredQueue(capacity: \(String(describing: model.capacity)), "
                    + "maxPendingGets: \(String(describing: model.maxPendingGets)))")
            for step in 0..<steps {
                sequence.step = step
                performRandomStep()
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            // Finale: serve every waiting get, take every buffered element and admit every waiting put;
            // every accepted element must then have reached exactly one get that was not cancelled.
            var step = steps
            while !model.getLine.isEmpty || !model.putLine.isEmpty || !model.buffer.isEmpty {
                sequence.step = step
                step += 1
                if model.getLine.isEmpty { get(awaited: false) } else { put(awaited: false) }
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            if model.isFinished {
                // A finished, drained queue refuses puts and rejects gets.
                sequence.step = step
                put(awaited: false)
                offer()
                get(awaited: false)
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            sequence.begin("final check")
            sequence.check(
                queue.count == 0 && queue.waitingGetCount == 0 && queue.waitingPutCount == 0,
                "the queue is not empty at the end")
            var delivered: [Int] = []
            for get in gets {
                if case .value(let element)? = get.result() { delivered.append(element) }
            }
            sequence.check(
                delivered.sorted() == model.accepted.sorted(),
                "delivered \(delivered.count) elements of the \(model.accepted.count) accepted, or some twice")
            for case let entry? in gets.map(\.task) + puts.map(\.task) { await entry.task.value }
        }

        func abandon() {
            for call in gets + puts { call.task?.task.cancel(); call.cancelDeferred() }
        }

        func performRandomStep() {
            if sequence.step == steps - 1, sequence.random.chance(25) { return finish() }
            let roll = sequence.random.below(100)
            let waitingGets = model.getLine
            let waitingPuts = model.putLine.map(\.put)
            switch roll {
            case 0..<26:
                put(awaited: sequence.random.chance(40))
            case 26..<32:
                offer()
            case 32..<50:
                get(awaited: false)
            case 50..<62:
                get(awaited: true)
            case 62..<96 where !waitingGets.isEmpty || !waitingPuts.isEmpty:
                // Mostly a waiting get or put; sometimes any (cancelling a settled one changes nothing).
                let any = sequence.random.chance(15)
                let pickGet = waitingPuts.isEmpty || (!waitingGets.isEmpty && sequence.random.chance(50))
                if pickGet {
                    let waiting = waitingGets[sequence.random.below(waitingGets.count)]
                    cancelGet(any ? sequence.random.below(gets.count) : waiting)
                } else {
                    let waiting = waitingPuts[sequence.random.below(waitingPuts.count)]
                    cancelPut(any ? sequence.random.below(puts.count) : waiting)
                }
            case 96..<100 where !waitingGets.isEmpty || !waitingPuts.isEmpty:
                completeFromOutside(waitingGets: waitingGets, waitingPuts: waitingPuts)
            default:
                if sequence.random.chance(50) { put(awaited: false) } else { get(awaited: sequence.random.chance(40)) }
            }
        }

        // MARK: Operations

        func put(awaited: Bool) {
            let element = nextElement
            nextElement += 1
            let put = model.put(element)
            sequence.begin("put \(put) of element \(element)\(awaited ? " awaited by a task" : ""): \(model.puts[put])")
            switch model.puts[put] {
            case .waiting: sequence.count("puts waiting for space")
            case .refused: sequence.count("puts after finish")
            default: break
            }
            precondition(put == puts.count, "model and driver disagree on put numbering")
            puts.append(QueueCall(queue.put(element), awaited: awaited, outcome: Outcome.init))
            unsettledPuts.append(put)
        }

        func offer() {
            let element = nextElement
            nextElement += 1
            let expected = model.offer(element)
            sequence.begin("offer element \(element): \(expected)")
            do {
                try queue.offer(element)
                sequence.check(expected == .accepted, "offer of \(element) succeeded; the model says \(expected)")
            } catch is DeferredQueueOverflowError {
                sequence.count("overflowing offers")
                sequence.check(expected == .overflow, "offer of \(element) overflowed; the model says \(expected)")
            } catch is DeferredQueueFinishedError {
                sequence.check(
                    expected == .finished, "offer of \(element) found the queue finished; the model says \(expected)")
            } catch {
                sequence.fail("offer of \(element) threw \(error)")
            }
        }

        func get(awaited: Bool) {
            let expected = model.get()
            sequence.begin(
                "get \(expected.map(String.init) ?? "(too many waiting)")\(awaited ? " awaited by a task" : "")"
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
            guard let get = expected else { return sequence.fail("get did not throw DeferredQueueUnderflowError") }
            if model.gets[get] == .waiting { sequence.count("waiting gets") }
            precondition(get == gets.count, "model and driver disagree on get numbering")
            gets.append(QueueCall(deferred, awaited: awaited, outcome: Outcome.init))
            unsettledGets.append(get)
        }

        func cancelGet(_ get: Int) {
            sequence.begin("cancel get \(get) (\(model.gets[get]))")
            if model.gets[get] == .waiting {
                sequence.count(gets[get].task != nil ? "cancelled tasks awaiting a get" : "cancelled waiting gets")
            } else {
                sequence.count("cancels with no effect")
            }
            model.cancelGet(get)
            gets[get].cancel()
        }

        func cancelPut(_ put: Int) {
            sequence.begin("cancel put \(put) (\(model.puts[put]))")
            if model.puts[put] == .waiting {
                sequence.count(puts[put].task != nil ? "cancelled tasks awaiting a put" : "cancelled waiting puts")
            } else {
                sequence.count("cancels with no effect")
            }
            model.cancelPut(put)
            puts[put].cancel()
        }

        func completeFromOutside(waitingGets: [Int], waitingPuts: [Int]) {
            let pickGet = waitingPuts.isEmpty || (!waitingGets.isEmpty && sequence.random.chance(50))
            let call: QueueCall
            if pickGet {
                let get = waitingGets[sequence.random.below(waitingGets.count)]
                sequence.begin("reject waiting get \(get) from outside")
                call = gets[get]
            } else {
                let put = waitingPuts[sequence.random.below(waitingPuts.count)]
                sequence.begin("reject waiting put \(put) from outside")
                call = puts[put]
            }
            sequence.count("outside completions")
            expectedCompletedByNonOwner += 1
            let returned = call.completeFromOutside(sequence.diagnosticsLine)
            sequence.check(returned == model.completeFromOutside(), "completing it from outside returned \(returned)")
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
            let reports = DiagnosticsSpy.count(.completedByNonOwner, at: DeferredCallSite(#fileID, sequence.diagnosticsLine))
            sequence.check(
                reports == expectedCompletedByNonOwner,
                "\(reports) completedByNonOwner reports; the model expects \(expectedCompletedByNonOwner)")
            sequence.check(
                queue.count == model.buffer.count, "\(queue.count) buffered; the model says \(model.buffer.count)")
            sequence.check(
                queue.waitingGetCount == model.getLine.count,
                "\(queue.waitingGetCount) gets waiting; the model says \(model.getLine.count)")
            sequence.check(
                queue.waitingPutCount == model.putLine.count,
                "\(queue.waitingPutCount) puts waiting; the model says \(model.putLine.count)")
            sequence.check(queue.isFinished == model.isFinished, "isFinished is \(queue.isFinished)")
            unsettledGets = await verify(unsettledGets, of: gets, named: "get") { self.model.gets[$0].outcome }
            unsettledPuts = await verify(unsettledPuts, of: puts, named: "put") { self.model.puts[$0].outcome }
        }

        /// Checks each of `unsettled` against the model's outcome; returns those still waiting.
        func verify(
            _ unsettled: [Int], of calls: [QueueCall], named name: String, expected: (Int) -> Outcome?
        ) async -> [Int] {
            var stillUnsettled: [Int] = []
            for index in unsettled {
                let call = calls[index]
                let expected = expected(index)
                let actual = call.result()
                sequence.check(
                    actual == expected,
                    "\(name) \(index) has \(actual.map(String.init(describing:)) ?? "no result"); "
                        + "the model says \(expected.map(String.init(describing:)) ?? "waiting")")
                if let entry = call.task {
                    if let expected {
                        await sequence.settle("the task awaiting \(name) \(index) returning") {
                            entry.outcome.withLock { $0 != nil }
                        }
                        let received = entry.outcome.withLock { $0 }
                        sequence.check(received == expected, "the task awaiting \(name) \(index) got \(received!)")
                    } else if let early = entry.outcome.withLock({ $0 }) {
                        sequence.fail("the task awaiting \(name) \(index) returned \(early) while waiting")
                    }
                }
                if let records = call.observed {
                    let received = records.withLock { $0 }
                    sequence.check(
                        received == (expected.map { [$0] } ?? []),
                        "the observer of \(name) \(index) received \(received)")
                }
                if expected == nil { stillUnsettled.append(index) }
            }
            return stillUnsettled
        }
    }
}
