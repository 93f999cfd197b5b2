import Testing
@testable import DeferredKit

extension Model {
    @Suite struct CoreModelTests {
        /// Random sequences of resolve / reject / cancel / whenComplete / map / recover / flatMap / flatRecover /
        /// tasklet / await / cancel-an-awaiting-task, each step checked against `CoreModel`.
        @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
        @Test func coreFollowsTheModel() async {
            DiagnosticsSpy.install()  // double completions are part of the model; keep their reports off stderr
            await Model.run("Core", filter: "Model.CoreModelTests") { sequence, steps in
                let driver = CoreDriver(sequence)
                await driver.run(steps: steps)
            }
        }
    }

    /// Plays one random sequence on the library and on `CoreModel` side by side.
    @available(macOS 26.0, iOS 26.0, tvOS 26.0, watchOS 26.0, visionOS 26.0, *)  // Task.immediate, tasklets
    final class CoreDriver {
        let sequence: SequenceRun
        var model = CoreModel()
        var deferreds: [Deferred<Int>] = []
        var awaiterTasks: [Task<Void, Never>] = []
        var awaiterResults: [Locked<Outcome?>] = []
        /// Per observer, what it received and when (a per-sequence stamp, to check registration order).
        var observerRecords: [Locked<[(outcome: Outcome, stamp: Int)]>] = []
        let stamps = Locked(0)
        var nodeVerified: [Bool] = []
        /// The diagnostic reports this sequence's completions must have caused: a completion of a complete
        /// root that was not cancelled is reported as `completedTwice` (after `cancel()` it is silently
        /// ignored); every completion of a library-owned Deferred from outside as `completedByNonOwner`.
        var expectedCompletedTwice = 0
        var expectedCompletedByNonOwner = 0
        var awaiterVerified: [Bool] = []
        var observerVerified: [Bool] = []

        static let maxNodes = 48

        init(_ sequence: SequenceRun) { self.sequence = sequence }

        var random: SplitMix64 {
            get { sequence.random }
            _modify { yield &sequence.random }
        }

        // MARK: Running

        func run(steps: Int) async {
            for step in 0..<steps {
                sequence.step = step
                await performRandomStep()
                if sequence.hasFailed { return abandon() }
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            // Finale: cancel everything still pending, in random order, checking each step; then every
            // Deferred, observer and awaiter must be complete and everything is checked once more.
            var step = steps
            while true {
                let pendingNodes = Self.indices(where: model.isPending)
                let pendingAwaiters = model.awaiters.indices.filter {
                    model.awaiters[$0].outcome == nil && !model.awaiters[$0].isCancelled
                }
                if pendingNodes.isEmpty && pendingAwaiters.isEmpty { break }
                sequence.step = step
                step += 1
                if !pendingAwaiters.isEmpty, pendingNodes.isEmpty || random.chance(30) {
                    cancelAwaiter(pendingAwaiters[random.below(pendingAwaiters.count)])
                } else {
                    cancel(pendingNodes[random.below(pendingNodes.count)])
                }
                await verify()
                if sequence.hasFailed { return abandon() }
            }
            sequence.begin("final check")
            verifyEverythingAgain()
            sequence.counters.merge(model.situations, uniquingKeysWith: +)
            for task in awaiterTasks { await task.value }
        }

        /// After a failure: let go of everything without waiting (the sequence's issue is recorded).
        func abandon() {
            for task in awaiterTasks { task.cancel() }
            for deferred in deferreds { deferred.cancel() }
        }

        func performRandomStep() async {
            let roll = random.below(100)
            let full = deferreds.count >= Self.maxNodes
            switch roll {
            case 0..<14 where !full || deferreds.isEmpty:
                createRoot()
            case 14..<34 where !full && !deferreds.isEmpty:
                derive(from: pickNode(pendingPercent: 70))
            case 34..<42 where !deferreds.isEmpty:
                observe(pickNode(pendingPercent: 60))
            case 42..<52 where !deferreds.isEmpty:
                startAwaiter(pickNode(pendingPercent: 60))
            case 52..<70:
                let isRoot = model.isRoot, isPending = model.isPending
                let roots = Self.indices(where: isRoot)
                guard !roots.isEmpty else { return createRoot() }
                let pendingRoots = roots.filter { isPending[$0] }
                completeRoot(pick(from: pendingRoots, percent: 85) ?? roots[random.below(roots.count)])
            case 70..<86 where !deferreds.isEmpty:
                cancel(pickNode(pendingPercent: 80))
            case 86..<96 where !awaiterTasks.isEmpty:
                let waiting = model.awaiters.indices.filter {
                    model.awaiters[$0].outcome == nil && !model.awaiters[$0].isCancelled
                }
                cancelAwaiter(pick(from: waiting, percent: 80) ?? random.recentIndex(count: awaiterTasks.count))
            case 96..<100:
                let owned = Self.indices(where: model.isRoot.map { !$0 })
                guard !owned.isEmpty else { return createRoot() }
                completeFromOutside(owned[random.below(owned.count)])
            default:
                if deferreds.isEmpty { createRoot() } else { cancel(pickNode(pendingPercent: 80)) }
            }
        }

        /// A node: a pending one `pendingPercent`% of the time when there is one (they are where the
        /// interesting interactions happen), otherwise any, biased towards recent ones.
        func pickNode(pendingPercent: Int) -> Int {
            let pending = Self.indices(where: model.isPending)
            return pick(from: pending, percent: pendingPercent) ?? random.recentIndex(count: deferreds.count)
        }

        /// The indices whose flag is set.
        static func indices(where flags: [Bool]) -> [Int] {
            var indices: [Int] = []
            for index in flags.indices where flags[index] { indices.append(index) }
            return indices
        }

        /// One of `candidates`, `percent`% of the time when there are any; `nil` otherwise.
        func pick(from candidates: [Int], percent: Int) -> Int? {
            guard !candidates.isEmpty, random.chance(percent) else { return nil }
            return candidates[random.recentIndex(count: candidates.count)]
        }

        func describe(_ node: Int) -> String {
            let kind = model.nodes[node].kind
            if let source = model.nodes[node].upstream, !kind.isRoot {
                return "node \(node) (\(kind) of node \(source))"
            }
            return "node \(node) (\(kind))"
        }

        // MARK: Operations

        func createRoot() {
            let roll = random.below(100)
            let value = random.below(1_000)
            let code = 1 + random.below(60)
            let kind: CoreModel.Kind
            let deferred: Deferred<Int>
            var outcome: Outcome?
            switch roll {
            case 0..<35:
                kind = .plain
                deferred = Deferred<Int>()
            case 35..<80:
                let plan: CoreModel.CancellerPlan = switch roll {
                case 35..<50: .nothing
                case 50..<67: .resolve(value)
                default: .reject(code)
                }
                kind = .canceller(plan)
                deferred = Deferred<Int> { deferred in
                    switch plan {
                    case .nothing: break
                    case .resolve(let value): deferred.resolve(value)
                    case .reject(let code): deferred.reject(ModelError(code: code))
                    }
                }
            case 80..<92:
                kind = .completed
                outcome = .value(value)
                deferred = .resolved(value)
            default:
                kind = .completed
                outcome = .error(code)
                deferred = .rejected(ModelError(code: code))
            }
            sequence.begin("create node \(deferreds.count): \(kind)\(outcome.map { " with \($0)" } ?? "")")
            let node = model.addRoot(kind, completedWith: outcome)
            precondition(node == deferreds.count, "model and driver disagree on node numbering")
            deferreds.append(deferred)
            nodeVerified.append(false)
        }

        func derive(from source: Int) {
            let k = 1 + random.below(40)
            let roll = random.below(100)
            let kind: CoreModel.Kind = switch roll {
            case 0..<32: .map(k: k)
            case 32..<56: .recover(k: k)
            case 56..<70: .flatMap(k: k, inner: random.recentIndex(count: deferreds.count))
            case 70..<78: .flatRecover(k: k, inner: random.recentIndex(count: deferreds.count))
            default: .tasklet(k: k, catches: random.chance(50))
            }
            sequence.begin("create node \(deferreds.count): \(kind) of node \(source)")
            let upstream = deferreds[source]
            let derived: Deferred<Int>
            switch kind {
            case .map(let k):
                derived = upstream.map { try Transforms.map($0, k) }
            case .recover(let k):
                derived = upstream.recover { try Transforms.recover($0, k) }
            case .flatMap(let k, let inner):
                let innerDeferred = deferreds[inner]
                derived = upstream.flatMap { value in
                    if Transforms.flatMapThrows(value, k) { throw ModelError(code: 200 + k) }
                    return innerDeferred
                }
            case .flatRecover(let k, let inner):
                let innerDeferred = deferreds[inner]
                derived = upstream.flatRecover { error in
                    if Transforms.flatRecoverThrows(error, k) { throw ModelError(code: 400 + k) }
                    return innerDeferred
                }
            case .tasklet(let k, let catches):
                derived = Deferred<Int> {
                    let result: Result<Int, any Error>
                    do {
                        result = .success(try await upstream.value)
                    } catch {
                        result = .failure(error)
                    }
                    return try Transforms.tasklet(result, k, catches: catches)
                }
            default:
                preconditionFailure("not a derived kind")
            }
            let node = model.derive(kind, from: source)
            precondition(node == deferreds.count, "model and driver disagree on node numbering")
            deferreds.append(derived)
            nodeVerified.append(false)
        }

        func observe(_ node: Int) {
            sequence.begin("observe \(describe(node)) with whenComplete")
            let observer = model.observe(node)
            let records = Locked<[(outcome: Outcome, stamp: Int)]>([])
            observerRecords.append(records)
            observerVerified.append(false)
            precondition(observer == observerRecords.count - 1, "model and driver disagree on observer numbering")
            let stamps = stamps
            deferreds[node].whenComplete { result in
                let stamp = stamps.withLock { stamp in
                    stamp += 1
                    return stamp
                }
                records.withLock { $0.append((Outcome(result), stamp)) }
            }
        }

        func startAwaiter(_ node: Int) {
            sequence.begin("start a task awaiting \(describe(node)).value")
            let awaiter = model.addAwaiter(node)
            let box = Locked<Outcome?>(nil)
            let deferred = deferreds[node]
            // `Task.immediate` runs the task up to its first suspension here, so that it is registered as a
            // dependent before the next step, as the model has it.
            let task = Task.immediate {
                let outcome: Outcome
                do {
                    outcome = .value(try await deferred.value)
                } catch {
                    outcome = Outcome(error: error)
                }
                box.withLock { $0 = outcome }
            }
            precondition(awaiter == awaiterTasks.count, "model and driver disagree on awaiter numbering")
            awaiterTasks.append(task)
            awaiterResults.append(box)
            awaiterVerified.append(false)
        }

        func completeRoot(_ node: Int) {
            let outcome: Outcome = random.chance(60) ? .value(random.below(1_000)) : .error(1 + random.below(60))
            sequence.begin("complete \(describe(node)) with \(outcome)")
            let expected = model.complete(root: node, with: outcome)
            if !expected, !model.nodes[node].cancelRequested { expectedCompletedTwice += 1 }
            let line = sequence.diagnosticsLine
            let returned = switch outcome {
            case .value(let value): deferreds[node].resolve(value, file: #fileID, line: line)
            default: deferreds[node].reject(outcome.error!, file: #fileID, line: line)
            }
            sequence.check(returned == expected, "completing returned \(returned), the model says \(expected)")
        }

        func completeFromOutside(_ node: Int) {
            sequence.begin("resolve library-owned \(describe(node)) from outside")
            let expected = model.completeFromOutside(owned: node)
            expectedCompletedByNonOwner += 1
            let returned = deferreds[node].resolve(-7, file: #fileID, line: sequence.diagnosticsLine)
            sequence.check(returned == expected, "completing an owned Deferred from outside returned \(returned)")
        }

        func cancel(_ node: Int) {
            sequence.begin("cancel \(describe(node))")
            model.cancel(node)
            deferreds[node].cancel()
        }

        func cancelAwaiter(_ awaiter: Int) {
            sequence.begin("cancel the task awaiting \(describe(model.awaiters[awaiter].node)) (awaiter \(awaiter))")
            model.cancelAwaiter(awaiter)
            awaiterTasks[awaiter].cancel()
        }

        // MARK: Checking

        /// Checks everything that may have changed: pending Deferreds are pending; Deferreds, observers and
        /// awaiters the model has completed are complete (waiting for tasks that finish elsewhere) with the
        /// model's result, each observer exactly once.
        func verify() async {
            let site = DeferredCallSite(#fileID, sequence.diagnosticsLine)
            let twice = DiagnosticsSpy.count(.completedTwice, at: site)
            sequence.check(
                twice == expectedCompletedTwice,
                "\(twice) completedTwice reports; the model expects \(expectedCompletedTwice)")
            let notOwner = DiagnosticsSpy.count(.completedByNonOwner, at: site)
            sequence.check(
                notOwner == expectedCompletedByNonOwner,
                "\(notOwner) completedByNonOwner reports; the model expects \(expectedCompletedByNonOwner)")
            for node in deferreds.indices where !nodeVerified[node] {
                let deferred = deferreds[node]
                guard let expected = model.nodes[node].outcome else {
                    if deferred.isComplete, let result = deferred.result {
                        sequence.fail("\(describe(node)) completed with \(Outcome(result)); the model has it pending")
                        return
                    }
                    continue
                }
                await sequence.settle("completion of \(describe(node)) with \(expected)") { deferred.isComplete }
                guard let result = deferred.result else { return }
                sequence.check(
                    Outcome(result) == expected,
                    "\(describe(node)) completed with \(Outcome(result)); the model says \(expected)")
                nodeVerified[node] = true
            }
            for observer in observerRecords.indices where !observerVerified[observer] {
                let records = observerRecords[observer]
                let (node, expected) = model.observers[observer]
                guard let expected else {
                    if let first = records.withLock({ $0.first }) {
                        sequence.fail("observer \(observer) of \(describe(node)) ran with \(first.outcome) early")
                    }
                    continue
                }
                await sequence.settle("observer \(observer) of \(describe(node)) running") {
                    records.withLock { !$0.isEmpty }
                }
                let received = records.withLock { $0.map(\.outcome) }
                sequence.check(
                    received == [expected],
                    "observer \(observer) of \(describe(node)) received \(received); the model says [\(expected)]")
                observerVerified[observer] = true
            }
            for awaiter in awaiterResults.indices where !awaiterVerified[awaiter] {
                let box = awaiterResults[awaiter]
                let (node, expected, _) = model.awaiters[awaiter]
                guard let expected else {
                    if let early = box.withLock({ $0 }) {
                        sequence.fail(
                            "awaiter \(awaiter) of \(describe(node)) returned \(early); the model has it waiting")
                    }
                    continue
                }
                await sequence.settle("awaiter \(awaiter) of \(describe(node)) returning") {
                    box.withLock { $0 != nil }
                }
                let received = box.withLock { $0 }
                sequence.check(
                    received == expected,
                    "awaiter \(awaiter) of \(describe(node)) got "
                        + "\(received.map(String.init(describing:)) ?? "nothing"); "
                        + "the model says \(expected)")
                awaiterVerified[awaiter] = true
            }
        }

        /// At the end: nothing changed after it was checked, every observer ran exactly once, and the
        /// observers of each Deferred ran in registration order.
        func verifyEverythingAgain() {
            for node in deferreds.indices {
                let actual = deferreds[node].result.map(Outcome.init)
                sequence.check(
                    actual == model.nodes[node].outcome,
                    "\(describe(node)) now has \(actual.map(String.init(describing:)) ?? "no result")")
            }
            var lastStamp: [Int: Int] = [:]
            for observer in observerRecords.indices {
                let records = observerRecords[observer].withLock { $0 }
                let node = model.observers[observer].node
                sequence.check(
                    records.count == 1, "observer \(observer) of \(describe(node)) ran \(records.count) times")
                guard let stamp = records.first?.stamp else { continue }
                if let previous = lastStamp[node] {
                    sequence.check(
                        stamp > previous,
                        "observers of \(describe(node)) ran out of registration order (observer \(observer))")
                }
                lastStamp[node] = stamp
            }
            for awaiter in awaiterResults.indices {
                let received = awaiterResults[awaiter].withLock { $0 }
                sequence.check(received == model.awaiters[awaiter].outcome, "awaiter \(awaiter) changed its result")
            }
        }
    }
}
