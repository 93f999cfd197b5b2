// MARK: - CombinationRule

/// The decision logic of one combinator (`all`, `race`, …): a pure state machine, run under the
/// combination's lock, that never calls user code.
///
/// The engine (`Combination`) owns the inputs, the cancellation and the withdrawal; a rule only says,
/// for each input's result, whether the combined Deferred is now decided and with what.
@usableFromInline
protocol CombinationRule: Sendable {
    associatedtype Input: Sendable
    associatedtype Output: Sendable
    /// What the rule still keeps once it has decided (values, errors), handed to the engine so that it is
    /// released after unlocking: its `deinit`s are user code.
    associatedtype Leftovers = Void

    /// Called once, before any input is attached: a decision that needs no input (empty input, an
    /// impossible `count`), or `nil`.
    mutating func start() -> Result<Output, any Error>?

    /// An input was attached at `index` (indices count up from 0).
    mutating func slotAdded(at index: Int)

    /// The input at `index` completed with `result`. Returns the decision, or `nil` to keep waiting.
    mutating func receive(_ result: Result<Input, any Error>, at index: Int) -> Result<Output, any Error>?

    /// Called once, under the lock, after the rule decided: moves out everything it still keeps.
    mutating func takeLeftovers() -> Leftovers
}

extension CombinationRule where Leftovers == Void {
    @inlinable mutating func takeLeftovers() {}
}

extension CombinationRule {
    @inlinable mutating func slotAdded(at index: Int) {}
}

// MARK: - Combination

/// The engine every combinator shares: attaches inputs, feeds their results to a `CombinationRule`,
/// completes the output when the rule decides, and withdraws from every input still pending — once the
/// output is decided, or when the output is cancelled.
///
/// Cancellation is cooperative. A cancelled output withdraws from its pending inputs and then completes
/// from what each one finally gives, through its rule: an input nobody else wants is cancelled and its
/// final result (a canceller's value or error, `CancellationError`, or what a task body finally returns)
/// reaches the rule; an input that others still want goes on for them and counts as failed with
/// `CancellationError`. The output is library-owned: only the engine completes it.
///
/// Ownership is acyclic so that a dropped pending combination is freed: inputs hold their observers,
/// which hold the combination and the output; the output's canceller holds the combination; the
/// combination holds its inputs only weakly.
///
/// Each input is attached in two steps — register, then mark registered — so that a withdrawal that
/// happens in between (another thread decided the output) is never lost: whichever step comes second
/// sees the other and withdraws.
@usableFromInline
final class Combination<Rule: CombinationRule>: Sendable {
    @usableFromInline typealias Input = Rule.Input
    @usableFromInline typealias Output = Rule.Output

    @usableFromInline
    enum SlotState: UInt8, Sendable {
        /// Its observer is being registered.
        case attaching
        /// Its observer is registered and has not run.
        case registered
        /// Its observer ran.
        case settled
        /// We withdrew from it (its observer may still run, with a result its canceller supplied).
        case withdrawn
    }

    @usableFromInline
    struct Slot: Sendable {
        @usableFromInline weak var input: Deferred<Input>?
        @usableFromInline var state: SlotState

        @inlinable
        init(input: Deferred<Input>) {
            self.input = input
            state = .attaching
        }
    }

    /// The rule and the slots, behind the lock.
    @usableFromInline
    struct State: Sendable {
        @usableFromInline var rule: Rule
        @usableFromInline var slots: [Slot] = []
        /// The rule has decided; later results are ignored.
        @usableFromInline var isDecided = false
        /// We have withdrawn (decided or cancelled): inputs attached from now on are withdrawn at once.
        @usableFromInline var isWithdrawing = false

        @inlinable
        init(rule: Rule) { self.rule = rule }

        /// Marks every registered slot withdrawn and returns it with its input (once).
        @inlinable
        mutating func takePendingInputs() -> [(Int, Deferred<Input>)] {
            if isWithdrawing { return [] }
            isWithdrawing = true
            var pending: [(Int, Deferred<Input>)] = []
            for index in slots.indices where slots[index].state == .registered {
                slots[index].state = .withdrawn
                if let input = slots[index].input {
                    pending.append((index, input))
                }
                slots[index].input = nil
            }
            return pending
        }
    }

    @usableFromInline let state: LockedState<State>

    @inlinable
    init(_ rule: Rule, expectedCount: Int = 0) {
        var initial = State(rule: rule)
        initial.slots.reserveCapacity(expectedCount)
        state = LockedState(initial)
    }

    // MARK: Building

    /// Makes the output Deferred of a combination: library-owned; cancelling it withdraws from every
    /// pending input, and it then completes from their final results (never rejected by the cancel itself).
    @inlinable
    func makeOutput(file: StaticString, line: UInt) -> Deferred<Output> {
        Deferred<Output>(owned: DeferredCallSite(file, line), completesAfterCancel: true) { [self] output in
            withdrawPending(output)
        }
    }

    /// Lets the rule decide before any input is attached.
    @inlinable
    func start(_ output: Deferred<Output>) {
        let (decision, leftovers) = state.withLock { state -> (Result<Output, any Error>?, Rule.Leftovers?) in
            guard let decision = state.rule.start() else { return (nil, nil) }
            state.isDecided = true
            state.isWithdrawing = true
            return (decision, state.rule.takeLeftovers())
        }
        if let decision { output.settle(decision) }
        _ = leftovers  // released here, after unlocking
    }

    /// Attaches `input` as the next slot. Its result goes to the rule; if the output is already decided
    /// or cancelled, we register (so that its error counts as handled) and withdraw at once.
    @inlinable
    func attach(_ input: Deferred<Input>, to output: Deferred<Output>) {
        let index = state.withLock { state -> Int in
            let index = state.slots.count
            state.slots.append(Slot(input: input))
            state.rule.slotAdded(at: index)
            return index
        }
        input.addDependent(output.dependentID) { [self] result in
            receive(result, at: index, output: output)
        }
        let withdrawNow = state.withLock { state -> Bool in
            guard state.slots[index].state == .attaching else { return false }  // its observer already ran
            if state.isWithdrawing {
                state.slots[index].state = .withdrawn
                state.slots[index].input = nil
                return true
            }
            state.slots[index].state = .registered
            return false
        }
        if withdrawNow {
            withdraw(from: [(index, input)], output: output)
        }
    }

    // MARK: Receiving

    @inlinable
    func receive(_ result: Result<Input, any Error>, at index: Int, output: Deferred<Output>) {
        let (decision, pending, leftovers) = state.withLock { state -> Decision in
            state.slots[index].state = .settled
            state.slots[index].input = nil
            guard !state.isDecided, let decision = state.rule.receive(result, at: index) else { return (nil, [], nil) }
            state.isDecided = true
            return (decision, state.takePendingInputs(), state.rule.takeLeftovers())
        }
        finish(output, with: decision, withdrawingFrom: pending)
        _ = leftovers  // released here, after unlocking
    }

    /// A decision taken under the lock: the output's result, the inputs to withdraw from, and what the
    /// rule kept (released by the caller after unlocking).
    @usableFromInline
    typealias Decision = (Result<Output, any Error>?, [(Int, Deferred<Input>)], Rule.Leftovers?)

    /// Completes the output with the rule's decision, if it made one, then withdraws from the inputs still
    /// pending. Complete first, then withdraw: a canceller that supplies a value can no longer change it.
    @inlinable
    func finish(
        _ output: Deferred<Output>, with decision: Result<Output, any Error>?,
        withdrawingFrom pending: [(Int, Deferred<Input>)]
    ) {
        guard let decision else { return }
        output.settle(decision)
        withdraw(from: pending, output: output)
    }

    // MARK: Withdrawing

    /// The output was cancelled: withdraw from every pending input. Their final results still reach
    /// the rule, which completes the output from them.
    @inlinable
    func withdrawPending(_ output: Deferred<Output>) {
        let pending = state.withLock { $0.takePendingInputs() }
        withdraw(from: pending, output: output)
    }

    /// Withdraws from each input. One that others still want has its observer removed without running:
    /// for this combination it failed with `CancellationError`. One nobody else wants is cancelled, and
    /// our observer receives its final result.
    @inlinable
    func withdraw(from pending: [(Int, Deferred<Input>)], output: Deferred<Output>) {
        for (index, input) in pending {
            input.withdrawDependent(output.dependentID) { _ in
                receive(.failure(CancellationError()), at: index, output: output)
            }
        }
    }
}

// MARK: - Running a combination

extension Combination {
    /// Builds a combination over a fixed collection: start, attach every input in order, return the output.
    @inlinable
    static func run<C: Collection>(
        _ rule: Rule, over inputs: C, file: StaticString, line: UInt
    ) -> Deferred<Output> where C.Element == Deferred<Input> {
        let combination = Combination(rule, expectedCount: inputs.count)
        let output = combination.makeOutput(file: file, line: line)
        combination.start(output)
        for input in inputs {
            combination.attach(input, to: output)
        }
        combination.forwardInputEvents(to: output)
        return output
    }
}
