// MARK: - Links: derived Deferreds that are their own observers

// A `map` or `flatMap` link is the most common Deferred there is. Built from a closure, a link would cost
// two allocations: the derived Deferred, and the observer closure's context (which holds the derived
// Deferred and the transform). A link object carries its transform and is registered on its source as
// `Observer.link` with a function that captures nothing, so the link is the only allocation — as in
// swift-nio, where a future's callback is the next promise. (Its reference back to a source that is itself
// derived is strong, so no weak-reference side table is allocated either: see `DeferredUpstream`.)
//
// A link drops its transform as soon as it has received its source's result, as the observer closure
// used to be dropped with the source's observer list: a transform may capture other Deferreds (a
// `flatMap { _ in previous }` chain), and keeping it would make releasing a long chain recursive. Only the
// one firing of the source's observer touches the transform, so it needs no lock.

/// The Deferred `map` returns: applies `transform` to its source's value.
@usableFromInline
final class MapLink<Input: Sendable, Value: Sendable>: Deferred<Value>, @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline var transform: (@Sendable (Input) throws -> Value)?

    @inlinable
    init(from source: Deferred<Input>, site: DeferredCallSite, transform: @escaping @Sendable (Input) throws -> Value) {
        self.transform = transform
        super.init(derivedFrom: source, site: site)
    }

    /// Receives the source's result (`Observer.link`'s function: it captures nothing).
    @inlinable
    static func receive(_ object: AnyObject, _ result: Result<Input, any Error>) {
        let link = unsafeDowncast(object, to: MapLink<Input, Value>.self)
        let transform = link.transform.take()!
        switch result {
        case .success(let value):
            do {
                link.settle(.success(try transform(value)))
            } catch {
                link.settle(.failure(error))
            }
        case .failure(let error):
            link.settle(.failure(error))
        }
    }
}

/// The Deferred `flatMap` returns: completes like the Deferred `transform` returns for its source's value.
@usableFromInline
final class FlatMapLink<Input: Sendable, Value: Sendable>: Deferred<Value>, @unchecked Sendable {
    @exclusivity(unchecked) @usableFromInline var transform: (@Sendable (Input) throws -> Deferred<Value>)?

    @inlinable
    init(
        from source: Deferred<Input>, site: DeferredCallSite,
        transform: @escaping @Sendable (Input) throws -> Deferred<Value>
    ) {
        self.transform = transform
        super.init(derivedFrom: source, site: site)
    }

    /// Receives the source's result (`Observer.link`'s function: it captures nothing).
    @inlinable
    static func receive(_ object: AnyObject, _ result: Result<Input, any Error>) {
        let link = unsafeDowncast(object, to: FlatMapLink<Input, Value>.self)
        let transform = link.transform.take()!
        switch result {
        case .success(let value):
            do {
                link.follow(try transform(value))
            } catch {
                link.settle(.failure(error))
            }
        case .failure(let error):
            link.settle(.failure(error))
        }
    }
}
