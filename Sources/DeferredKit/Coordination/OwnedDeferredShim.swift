// MARK: - Owned Deferreds (temporary stand-in)

// Stands in for the core's `init(owned:canceller:)` / `completeAsOwner(_:)` (issue 9 item 5, landing on
// main in a "Core:" commit) so that the coordination types can be written against that contract now.
// Delete this file when merging that commit: the core's versions replace it one for one.
extension Deferred {
    @usableFromInline
    convenience init(owned site: CallSite, canceller: (@Sendable (Deferred<Value>) -> Void)? = nil) {
        self.init(derivedFrom: Deferred<Void>(completedWith: .success(()), site: site), site: site)
        if let canceller {
            upstream = .canceller { object in canceller(unsafeDowncast(object, to: Deferred<Value>.self)) }
        } else {
            upstream = .none
        }
    }

    @usableFromInline
    @discardableResult
    func completeAsOwner(_ result: Result<Value, any Error>) -> Bool {
        complete(result, at: creationSite, reportingTwice: false)
    }
}
