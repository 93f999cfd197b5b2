// MARK: - Forwarding events

extension Deferred {
    /// Forwards the events of `inputs` to this Deferred as `.input(index:event:)`, the index being the
    /// input's position — as jQuery-when2 passes the index of the Deferred that made progress. For
    /// combinators.
    ///
    /// Costs one table entry until someone observes this Deferred's events; only then are the inputs
    /// observed. Forwarding stops when this Deferred or the input completes.
    func forwardEvents<Input>(from inputs: [Deferred<Input>]) {
        forwardEvents(count: inputs.count) { index in inputs[index] }
    }

    /// Forwards the events of each input that `input(index)` returns for `0..<count` (any value types).
    func forwardEvents(count: Int, from input: @escaping @Sendable (Int) -> any EventSource) {
        guard count > 0, !isComplete else { return }
        let channel = EventRegistry.shared.makeChannel(of: self)
        channel.addForwarder { [weak self] in
            for index in 0..<count {
                guard self != nil else { return }
                input(index).onEvent { [weak self] event in self?.emit(.input(index: index, event: event)) }
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
    output.forwardEvents(count: inputs.count) { index in inputs[index] }
}
