// MARK: - Forwarding events

extension Deferred {
    /// Forwards the events of `inputs` to this Deferred as `.input(index:event:)`, the index being the
    /// input's position — as jQuery-when2 passes the index of the Deferred that made progress. For
    /// combinators.
    ///
    /// Costs one table entry until someone observes this Deferred's events; only then are the inputs
    /// observed. Forwarding stops when this Deferred or the input completes.
    func forwardEvents<Input>(from inputs: [Deferred<Input>]) {
        forwardEvents(fromIndexed: { inputs.enumerated().map { ($0.offset, $0.element as any EventSource) } })
    }

    /// Forwards the events of the inputs that `inputs()` lists with their indices when someone first
    /// observes this Deferred's events (so a combinator can hold its inputs weakly until then).
    func forwardEvents(fromIndexed inputs: @escaping @Sendable () -> [(Int, any EventSource)]) {
        guard !isComplete else { return }
        let channel = EventRegistry.shared.makeChannel(of: self)
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
protocol EventSource: Sendable {
    func onEvent(_ observer: @escaping @Sendable (DeferredEvent) -> Void)
}

extension Deferred: EventSource {}

/// Forwards the events of heterogeneous inputs (for variadic combinators): `inputs[i]` becomes index `i`.
func forwardEvents<Output>(from inputs: [any EventSource], to output: Deferred<Output>) {
    output.forwardEvents(fromIndexed: { inputs.enumerated().map { ($0.offset, $0.element) } })
}

// MARK: - Combinations

extension Combination {
    /// Forwards the events of this combination's inputs to `output`, with each input's index. The
    /// inputs are looked up (weakly held, still pending) only when someone observes `output`'s events.
    @usableFromInline
    func forwardInputEvents(to output: Deferred<Output>) {
        output.forwardEvents(fromIndexed: { [weak self] in
            guard let self else { return [] }
            return lock.withLock {
                slots.enumerated().compactMap { index, slot in slot.input.map { (index, $0 as any EventSource) } }
            }
        })
    }
}
