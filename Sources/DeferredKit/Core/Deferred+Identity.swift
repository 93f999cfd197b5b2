// MARK: - Identity

/// Deferreds are equal when they are the same Deferred, as `EventLoopFuture`s are: a Deferred is a
/// shared result, not a value, so two Deferreds that happen to hold equal values are still two.
extension Deferred: Hashable {
    public static func == (lhs: Deferred<Value>, rhs: Deferred<Value>) -> Bool {
        lhs === rhs
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(self))
    }
}

// MARK: - Description

extension Deferred: CustomStringConvertible, CustomDebugStringConvertible {
    /// The state and the creation site, for logs: `Deferred<Int>(pending, created at App/Fetch.swift:12,
    /// 2 dependents)`, `Deferred<Int>(resolved: 42, …)`, `Deferred<Int>(rejected: …, …)`.
    ///
    /// Reading the description never counts as receiving an error.
    public var description: String {
        // The value and error are described after unlocking: their descriptions are user code.
        let (result, cancelling, dependents, permanent) = lock.withLock {
            (storedResult, flags.contains(.cancelRequested), dependentCount, flags.contains(.hasPermanentDependent))
        }
        let state: String
        switch result {
        case nil: state = cancelling ? "pending, cancelling" : "pending"
        case .success(let value)?: state = "resolved: \(value)"
        case .failure(let error)?: state = "rejected: \(error)"
        }
        let count = Int(dependents) + (permanent ? 1 : 0)
        let plural = count == 1 ? "dependent" : "dependents"
        let more = permanent ? " (one permanent)" : ""
        return "Deferred<\(Value.self)>(\(state), created at \(creationSite), \(count) \(plural)\(more))"
    }

    /// The description, with the object's identity.
    public var debugDescription: String {
        "\(description) #\(String(UInt(bitPattern: ObjectIdentifier(self)), radix: 16))"
    }
}
