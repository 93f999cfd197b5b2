// MARK: - Forwarding events

extension Deferred {
    /// Forwards the events of `inputs` to this Deferred as `.input(index:event:)`, the index being the
    /// input's position — as jQuery-when2 passes the index of the Deferred that made progress. For
    /// combinators.
    ///
    /// Costs one installer in this Deferred's event channel until someone observes its events; only then
    /// are the inputs observed. The inputs are held weakly meanwhile (an input holds its dependents, not
    /// the other way round). Forwarding stops when this Deferred or the input completes.
    func forwardEvents<Input>(from inputs: [Deferred<Input>]) {
        DeferredKit.forwardEvents(from: inputs.map { $0 as any EventSource }, to: self)
    }

    /// Forwards the events of the inputs that `inputs()` lists with their indices when someone first
    /// observes this Deferred's events (so a combinator can hold its inputs weakly until then).
    func forwardEvents(fromIndexed inputs: @escaping @Sendable () -> [(Int, any EventSource)]) {
        guard !isComplete else { return }
        let channel = makeEventChannel()
        channel.addForwarder { [weak self] in
            guard self != nil else { return }
            for (index, input) in inputs() {
                input.onEvent { [weak self] event in self?.emit(.input(index: index, event: event)) }
            }
        }
    }
}

// MARK: - EventSource

/// A Deferred of any value type, as an event source for forwarding.
protocol EventSource: AnyObject, Sendable {
    func onEvent(_ observer: @escaping @Sendable (DeferredEvent) -> Void)
}

extension Deferred: EventSource {}

/// Forwards the events of heterogeneous inputs (for variadic combinators): `inputs[i]` becomes index `i`.
/// The inputs are held weakly until someone observes the output's events.
func forwardEvents<Output>(from inputs: [any EventSource], to output: Deferred<Output>) {
    let weakInputs = inputs.map(WeakEventSource.init)
    output.forwardEvents(fromIndexed: {
        weakInputs.enumerated().compactMap { index, input in input.source.map { (index, $0) } }
    })
}

/// An input of a forwarding, held weakly.
struct WeakEventSource: Sendable {
    weak var source: (any EventSource)?
    init(_ source: any EventSource) { self.source = source }
}

// MARK: - Combinations

extension Combination {
    /// Forwards the events of this combination's inputs to `output`, with each input's index. The
    /// inputs are looked up (weakly held, still pending) only when someone observes `output`'s events.
    @usableFromInline
    func forwardInputEvents(to output: Deferred<Output>) {
        output.forwardEvents(fromIndexed: { [weak self] in
            guard let self else { return [] }
            return state.withLock { state in
                state.slots.enumerated().compactMap { index, slot in slot.input.map { (index, $0 as any EventSource) } }
            }
        })
    }
}
