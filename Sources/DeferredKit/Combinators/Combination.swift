// MARK: - CombinationRule

/// The decision logic of one combinator (`all`, `race`, …): a pure state machine, run under the
/// combination's lock, that never calls user code.
///
/// The engine (`Combination`) owns the inputs, the cancellation and the withdrawal; a rule only says,
/// for each input's result, whether the combined Deferred is now decided and with what.
@usableFromInline
protocol CombinationRule: SendableMetatype {
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
final class Combination<Rule: CombinationRule>: @unchecked Sendable {
    @usableFromInline typealias Input = Rule.Input
    @usableFromInline typealias Output = Rule.Output

    @usableFromInline
    enum SlotState: UInt8 {
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
    struct Slot {
        @usableFromInline weak var input: Deferred<Input>?
        @usableFromInline var state: SlotState

        @inlinable
        init(input: Deferred<Input>) {
            self.input = input
            state = .attaching
        }
    }

    // Every stored property below is guarded by `lock`.
    @usableFromInline let lock = InternalLock()
    @usableFromInline var rule: Rule
    @usableFromInline var slots: [Slot] = []
    /// The rule has decided; later results are ignored.
    @usableFromInline var isDecided = false
    /// We have withdrawn (decided or cancelled): inputs attached from now on are withdrawn at once.
    @usableFromInline var isWithdrawing = false

    @inlinable
    init(_ rule: Rule, expectedCount: Int = 0) {
        self.rule = rule
        slots.reserveCapacity(expectedCount)
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
        let (decision, leftovers) = lock.withLock { () -> (Result<Output, any Error>?, Rule.Leftovers?) in
            guard let decision = rule.start() else { return (nil, nil) }
            isDecided = true
            isWithdrawing = true
            return (decision, rule.takeLeftovers())
        }
        if let decision { output.settle(decision) }
        _ = leftovers  // released here, after unlocking
    }

    /// Attaches `input` as the next slot. Its result goes to the rule; if the output is already decided
    /// or cancelled, we register (so that its error counts as handled) and withdraw at once.
    @inlinable
    func attach(_ input: Deferred<Input>, to output: Deferred<Output>) {
        let index = lock.withLock { () -> Int in
            let index = slots.count
            slots.append(Slot(input: input))
            rule.slotAdded(at: index)
            return index
        }
        input.addDependent(output.dependentID) { [self] result in
            receive(result, at: index, output: output)
        }
        let withdrawNow = lock.withLock { () -> Bool in
            guard slots[index].state == .attaching else { return false }  // its observer already ran
            if isWithdrawing {
                slots[index].state = .withdrawn
                slots[index].input = nil
                return true
            }
            slots[index].state = .registered
            return false
        }
        if withdrawNow {
            withdraw(from: [(index, input)], output: output)
        }
    }

    // MARK: Receiving

    @inlinable
    func receive(_ result: Result<Input, any Error>, at index: Int, output: Deferred<Output>) {
        let (decision, pending, leftovers) = lock.withLock { () -> Decision in
            slots[index].state = .settled
            slots[index].input = nil
            guard !isDecided, let decision = rule.receive(result, at: index) else { return (nil, [], nil) }
            isDecided = true
            return (decision, takePendingInputs(), rule.takeLeftovers())
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
        let pending = lock.withLock { takePendingInputs() }
        withdraw(from: pending, output: output)
    }

    /// Under the lock: marks every registered slot withdrawn and returns it with its input (once).
    @inlinable
    func takePendingInputs() -> [(Int, Deferred<Input>)] {
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
