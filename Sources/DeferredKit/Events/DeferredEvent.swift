// MARK: - DeferredEvent

/// Something a pending Deferred reports before its result: progress, a named event, or an event of one
/// of a combinator's inputs.
///
/// ```swift
/// download.emit(.progress(completed: 512, total: 2048))
/// download.emit(.named("redirected", payload: newURL))
/// ```
public enum DeferredEvent: Sendable, CustomStringConvertible {
    /// `completed` units of work out of `total` (`nil` when the total is unknown).
    case progress(completed: Int, total: Int?)
    /// An application-defined event with a payload (use `()` for none).
    case named(String, payload: any Sendable)
    /// An event of a combinator's input number `index` (0-based, in the order the inputs were given).
    indirect case input(index: Int, event: DeferredEvent)

    // MARK: Reading

    /// The fraction done, for a progress event with a known, non-zero total.
    ///
    /// ```swift
    /// if let fraction = event.fractionCompleted { bar.value = fraction }
    /// ```
    public var fractionCompleted: Double? {
        guard case .progress(let completed, let total?) = self, total > 0 else { return nil }
        return Double(completed) / Double(total)
    }

    /// The event without the `input` wrappers a combinator added, and the input indices from the
    /// outermost combinator inwards.
    ///
    /// ```swift
    /// let (path, inner) = event.unwrapped   // ([2], .progress(completed: 10, total: 20))
    /// ```
    public var unwrapped: (path: [Int], event: DeferredEvent) {
        var path: [Int] = []
        var current = self
        while case .input(let index, let inner) = current {
            path.append(index)
            current = inner
        }
        return (path, current)
    }

    public var description: String {
        switch self {
        case .progress(let completed, let total):
            return "progress(\(completed)/\(total.map(String.init) ?? "?"))"
        case .named(let name, let payload):
            return "\(name)(\(payload))"
        case .input(let index, let event):
            return "input[\(index)].\(event)"
        }
    }
}
