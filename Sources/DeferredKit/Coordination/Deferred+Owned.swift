// MARK: - Owned results

extension Deferred {
    /// A library-owned Deferred that is complete from the start: what a coordination type hands out when
    /// it can answer at once (a buffered element, a present key, an empty pool). Like every Deferred the
    /// library hands out, user code cannot complete it.
    @inlinable
    static func owned(completedWith result: Result<Value, any Error>, at site: DeferredCallSite) -> Deferred<Value> {
        let deferred = Deferred<Value>(owned: site)
        deferred.completeAsOwner(result)
        return deferred
    }
}
