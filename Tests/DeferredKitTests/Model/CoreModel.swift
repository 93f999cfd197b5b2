@testable import DeferredKit

// MARK: - Outcomes

extension Model {
    /// A Deferred's result as the models compare it: an `Int` value, a `ModelError` code, a cancellation,
    /// or anything else (by type name, which the models never expect).
    enum Outcome: Equatable, Sendable, CustomStringConvertible {
        case value(Int)
        case error(Int)
        case cancelled
        case other(String)

        init(_ result: Result<Int, any Error>) {
            switch result {
            case .success(let value): self = .value(value)
            case .failure(let error): self.init(error: error)
            }
        }

        init(_ result: Result<Void, any Error>) {
            switch result {
            case .success: self = .value(0)
            case .failure(let error): self.init(error: error)
            }
        }

        init(error: any Error) {
            switch error {
            case let error as ModelError: self = .error(error.code)
            case is CancellationError: self = .cancelled
            default: self = .other("\(type(of: error))")
            }
        }

        /// The error this outcome stands for, to feed a transform.
        var error: (any Error)? {
            switch self {
            case .value: nil
            case .error(let code): ModelError(code: code)
            case .cancelled: CancellationError()
            case .other(let text): UnexpectedError(text: text)
            }
        }

        var description: String {
            switch self {
            case .value(let value): "value \(value)"
            case .error(let code): "error \(code)"
            case .cancelled: "CancellationError"
            case .other(let text): text
            }
        }
    }

    struct ModelError: Error, Equatable {
        let code: Int
    }

    /// Stands for an error no model expects, so that it passes through transforms as itself.
    struct UnexpectedError: Error {
        let text: String
    }
}

// MARK: - Transforms

extension Model {
    /// The transforms of the derived Deferreds. The library runs them inside `map`, `recover`, … and the
    /// model applies them itself: what is checked is which transform runs on which result, and when.
    enum Transforms {
        static func map(_ value: Int, _ k: Int) throws -> Int {
            if (value &+ k) % 5 == 0 { throw ModelError(code: 100 + k) }
            return (value &* 2 &+ k) % 100_000
        }

        /// Turns some errors into values and translates the others (a cancellation included).
        static func recover(_ error: any Error, _ k: Int) throws -> Int {
            switch error {
            case is CancellationError:
                if k % 2 == 0 { return -k }
                throw ModelError(code: 300 + k)
            case let error as ModelError:
                if error.code % 3 == 0 { throw ModelError(code: error.code + 1) }
                return error.code * 10 + k
            default:
                throw error
            }
        }

        /// Whether a `flatRecover` transform throws (`ModelError(400 + k)`) instead of returning its inner
        /// Deferred; a cancellation is always handed over (Twisted's asynchronous clean-up).
        static func flatRecoverThrows(_ error: any Error, _ k: Int) -> Bool {
            guard let error = error as? ModelError else { return false }
            return (error.code &+ k) % 3 == 0
        }

        /// Whether a `flatMap` transform throws (`ModelError(200 + k)`) instead of returning its inner Deferred.
        static func flatMapThrows(_ value: Int, _ k: Int) -> Bool {
            (value &+ k) % 4 == 0
        }

        /// What a tasklet body `do { try await x.value + k } catch …` returns for `x`'s result: it adds
        /// `k` to a value and, when it `catches`, turns a `CancellationError` into `-1000 - k`.
        static func tasklet(_ result: Result<Int, any Error>, _ k: Int, catches: Bool) throws -> Int {
            switch result {
            case .success(let value):
                return value &+ k
            case .failure(let error):
                if catches, error is CancellationError { return -1000 - k }
                throw error
            }
        }
    }
}

// MARK: - The core model

extension Model {
    /// The documented semantics of the core, sequentially: Deferreds, their dependents, completion,
    /// derivation and cooperative cancellation (issue 9 part 1).
    ///
    /// - A Deferred completes once; a later completion returns `false` and changes nothing.
    /// - Every observer, awaiter and derived Deferred receives the result exactly once; derived results
    ///   follow their transforms.
    /// - `whenComplete` makes a permanent dependent; derived Deferreds, tasklets awaiting a Deferred and
    ///   awaiting tasks are withdrawable dependents.
    /// - Cancelling a root runs its canceller; its final result is the canceller's completion, otherwise
    ///   `CancellationError`.
    /// - Cancelling a dependent (a derived Deferred, a tasklet, an awaiting task) withdraws it from what it
    ///   waits on. If it was the last dependent (no other withdrawable one, no permanent one, the source
    ///   not already being cancelled) the source is cancelled and the dependent STAYS, receiving the
    ///   source's final result through its usual rule. Otherwise it is removed at once: a derived Deferred
    ///   and an awaiting task receive `CancellationError`; a tasklet's `await` throws it into the body.
    /// - Library-owned Deferreds (derived, tasklets) refuse completion from outside.
    struct CoreModel {
        enum CancellerPlan: Equatable, CustomStringConvertible {
            case nothing
            case resolve(Int)
            case reject(Int)

            var outcome: Outcome {
                switch self {
                case .nothing: .cancelled
                case .resolve(let value): .value(value)
                case .reject(let code): .error(code)
                }
            }

            var description: String {
                switch self {
                case .nothing: "does nothing"
                case .resolve(let value): "resolves \(value)"
                case .reject(let code): "rejects \(code)"
                }
            }
        }

        enum Kind: CustomStringConvertible {
            case plain
            case canceller(CancellerPlan)
            case completed
            case map(k: Int)
            case recover(k: Int)
            case flatMap(k: Int, inner: Int)
            case flatRecover(k: Int, inner: Int)
            case tasklet(k: Int, catches: Bool)

            var isRoot: Bool {
                switch self {
                case .plain, .canceller, .completed: true
                default: false
                }
            }

            var description: String {
                switch self {
                case .plain: "Deferred()"
                case .canceller(let plan): "Deferred(canceller that \(plan))"
                case .completed: "completed"
                case .map(let k): "map k=\(k)"
                case .recover(let k): "recover k=\(k)"
                case .flatMap(let k, let inner): "flatMap k=\(k) -> node \(inner)"
                case .flatRecover(let k, let inner): "flatRecover k=\(k) -> node \(inner)"
                case .tasklet(let k, let catches): "tasklet k=\(k)\(catches ? " catching" : "")"
                }
            }
        }

        enum Dependent: Equatable {
            case node(Int)
            case awaiter(Int)
            case observer(Int)
        }

        struct Node {
            var kind: Kind
            /// What it waits on: its source, the Deferred a tasklet awaits, or a flatMap's inner Deferred.
            var upstream: Int?
            var outcome: Outcome?
            var cancelRequested = false
            var hasPermanentDependent = false
            /// A flatMap or flatRecover whose transform ran: it now waits on its inner Deferred.
            var isFollowing = false
            var dependents: [Dependent] = []
        }

        private(set) var nodes: [Node] = []
        /// Which nodes are still pending, and which are roots (kept apart so that choosing a node at random
        /// does not copy every node).
        private(set) var isPending: [Bool] = []
        private(set) var isRoot: [Bool] = []
        /// Per awaiting task: the Deferred it awaits, what its await returned or threw, and whether the task
        /// was cancelled (task cancellation is sticky: a second `cancel()` does nothing).
        private(set) var awaiters: [(node: Int, outcome: Outcome?, isCancelled: Bool)] = []
        /// Per `whenComplete` observer: the Deferred it observes and what it received.
        private(set) var observers: [(node: Int, outcome: Outcome?)] = []
        /// How often each interesting situation arose.
        private(set) var situations: [String: Int] = [:]

        private mutating func count(_ situation: String) { situations[situation, default: 0] += 1 }

        // MARK: Creating

        /// A root Deferred: pending (plain or with a canceller), or already completed with `outcome`.
        mutating func addRoot(_ kind: Kind, completedWith outcome: Outcome? = nil) -> Int {
            precondition(kind.isRoot, "a root needs a root kind")
            nodes.append(Node(kind: kind, outcome: outcome))
            isPending.append(outcome == nil)
            isRoot.append(true)
            return nodes.count - 1
        }

        /// A Deferred derived from `source` (a tasklet awaiting it, for `.tasklet`).
        mutating func derive(_ kind: Kind, from source: Int) -> Int {
            precondition(!kind.isRoot, "a derived Deferred needs a derived kind")
            nodes.append(Node(kind: kind, upstream: source))
            isPending.append(true)
            isRoot.append(false)
            let node = nodes.count - 1
            if let outcome = nodes[source].outcome {
                deliver(outcome, to: node)
            } else {
                nodes[source].dependents.append(.node(node))
            }
            return node
        }

        /// A `whenComplete` observer: runs at once on a complete Deferred, else it is a permanent dependent.
        mutating func observe(_ node: Int) -> Int {
            observers.append((node, nodes[node].outcome))
            let observer = observers.count - 1
            if nodes[node].outcome == nil {
                nodes[node].dependents.append(.observer(observer))
                nodes[node].hasPermanentDependent = true
            }
            return observer
        }

        /// A task awaiting `value`: returns at once on a complete Deferred, else a withdrawable dependent.
        mutating func addAwaiter(_ node: Int) -> Int {
            awaiters.append((node, nodes[node].outcome, false))
            let awaiter = awaiters.count - 1
            if nodes[node].outcome == nil {
                nodes[node].dependents.append(.awaiter(awaiter))
            }
            return awaiter
        }

        // MARK: Completing

        /// `resolve`/`reject` by the holder of a root: `true` when it was pending.
        mutating func complete(root node: Int, with outcome: Outcome) -> Bool {
            precondition(nodes[node].kind.isRoot, "only roots are completed by their holder")
            guard nodes[node].outcome == nil else {
                count(nodes[node].cancelRequested ? "late completions after cancel" : "double completions")
                return false
            }
            complete(node, with: outcome)
            return true
        }

        /// `resolve`/`reject` from outside on a library-owned Deferred: refused, nothing changes.
        func completeFromOutside(owned node: Int) -> Bool {
            precondition(!nodes[node].kind.isRoot, "roots are completed by their holder")
            return false
        }

        private mutating func complete(_ node: Int, with outcome: Outcome) {
            precondition(nodes[node].outcome == nil, "model: node \(node) completed twice")
            nodes[node].outcome = outcome
            isPending[node] = false
            let dependents = nodes[node].dependents
            nodes[node].dependents = []
            for dependent in dependents {
                switch dependent {
                case .node(let next): deliver(outcome, to: next)
                case .awaiter(let awaiter): awaiters[awaiter].outcome = outcome
                case .observer(let observer): observers[observer].outcome = outcome
                }
            }
        }

        /// A derived Deferred receives its source's (or inner Deferred's) result.
        private mutating func deliver(_ outcome: Outcome, to node: Int) {
            let result: Result<Int, any Error> = switch outcome {
            case .value(let value): .success(value)
            default: .failure(outcome.error!)
            }
            switch nodes[node].kind {
            case .map(let k):
                guard case .success(let value) = result else { return complete(node, with: outcome) }
                complete(node, with: Outcome(Result { try Transforms.map(value, k) }))
            case .recover(let k):
                guard case .failure(let error) = result else { return complete(node, with: outcome) }
                if error is CancellationError, nodes[node].cancelRequested {
                    count("recovers of their own cancellation")
                }
                complete(node, with: Outcome(Result { try Transforms.recover(error, k) }))
            case .flatMap(let k, let inner):
                // Once following the inner Deferred, this is the inner Deferred's result.
                if nodes[node].isFollowing { return complete(node, with: outcome) }
                guard case .success(let value) = result else { return complete(node, with: outcome) }
                if Transforms.flatMapThrows(value, k) { return complete(node, with: .error(200 + k)) }
                follow(node, inner)
            case .flatRecover(let k, let inner):
                if nodes[node].isFollowing { return complete(node, with: outcome) }
                guard case .failure(let error) = result else { return complete(node, with: outcome) }
                if Transforms.flatRecoverThrows(error, k) { return complete(node, with: .error(400 + k)) }
                follow(node, inner)
            case .tasklet(let k, let catches):
                if catches, outcome == .cancelled { count("tasklet bodies catching a cancellation") }
                complete(node, with: Outcome(Result { try Transforms.tasklet(result, k, catches: catches) }))
            case .plain, .canceller, .completed:
                preconditionFailure("model: a root has no source")
            }
        }

        /// The flatMap hand-off: the derived Deferred now waits on `inner`.
        ///
        /// A cancelled flatMap whose request cancelled its source does not pass the request on to `inner`:
        /// the source's final result answered it, and the transform chose to go on (a `flatRecover` that
        /// finishes its clean-up in the inner Deferred). It stays marked as cancelled, so a later `cancel()`
        /// does nothing and a withdrawing dependent does not count as its last one. (A request that reached
        /// a source already completing does carry over to `inner`; sequentially that cannot happen.)
        private mutating func follow(_ node: Int, _ inner: Int) {
            nodes[node].upstream = inner
            nodes[node].isFollowing = true
            if nodes[node].cancelRequested { count("hand-offs after a cancellation") }
            if let outcome = nodes[inner].outcome {
                return complete(node, with: outcome)
            }
            nodes[inner].dependents.append(.node(node))
        }

        // MARK: Cancelling

        /// `cancel()` on a Deferred.
        mutating func cancel(_ node: Int) {
            guard nodes[node].outcome == nil, !nodes[node].cancelRequested else { return }
            nodes[node].cancelRequested = true
            switch nodes[node].kind {
            case .plain:
                complete(node, with: .cancelled)
            case .canceller(let plan):
                if plan != .nothing { count("cancellers supplying the result") }
                complete(node, with: plan.outcome)
            case .completed:
                preconditionFailure("model: a completed root is pending")
            case .map, .recover, .flatMap, .flatRecover, .tasklet:
                withdraw(.node(node), from: nodes[node].upstream!)
            }
        }

        /// Cancels an awaiting task: it withdraws if it is still waiting and was not cancelled before (a task
        /// that stayed as the last dependent waits on for the final result, whatever happens meanwhile).
        mutating func cancelAwaiter(_ awaiter: Int) {
            guard awaiters[awaiter].outcome == nil, !awaiters[awaiter].isCancelled else { return }
            awaiters[awaiter].isCancelled = true
            withdraw(.awaiter(awaiter), from: awaiters[awaiter].node)
        }

        /// The cooperative rule: the last dependent out cancels the source and stays for its final result;
        /// with other dependents remaining, the withdrawing party is removed and settled with a cancellation.
        private mutating func withdraw(_ dependent: Dependent, from source: Int) {
            precondition(nodes[source].outcome == nil, "model: withdrawing from a complete Deferred")
            let withdrawable = nodes[source].dependents.count(where: { if case .observer = $0 { false } else { true } })
            if withdrawable == 1, !nodes[source].hasPermanentDependent, !nodes[source].cancelRequested {
                count("last dependents out, cancelling their source")
                cancel(source)
                return
            }
            count("withdrawals leaving other dependents")
            nodes[source].dependents.removeAll { $0 == dependent }
            switch dependent {
            case .node(let node):
                if case .tasklet(let k, let catches) = nodes[node].kind {
                    // The body's await throws the cancellation; the body decides.
                    let result: Result<Int, any Error> = .failure(CancellationError())
                    complete(node, with: Outcome(Result { try Transforms.tasklet(result, k, catches: catches) }))
                } else {
                    complete(node, with: .cancelled)
                }
            case .awaiter(let awaiter):
                awaiters[awaiter].outcome = .cancelled
            case .observer:
                preconditionFailure("model: an observer cannot withdraw")
            }
        }
    }
}
