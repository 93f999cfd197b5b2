// The result of a Deferred, stored so that destroying it needs no run-time metadata lookup.
//
// A generic class's `deinit` always runs unspecialised. Stored as `Result<Value, any Error>?`, the result
// costs two generic-metadata lookups per Deferred on that path; stored as inline words (destroyed with
// `Value`'s own metadata, which the class metadata carries) plus a non-generic error existential, it
// costs none. Values larger than the inline words are boxed.

// MARK: - Result storage

extension Deferred {
    /// Whether a value of this Deferred's type fits the inline words (otherwise it is boxed).
    @inlinable
    static var storesValueInline: Bool {
        MemoryLayout<Value>.size <= MemoryLayout<(UInt64, UInt64, UInt64)>.size
            && MemoryLayout<Value>.alignment <= MemoryLayout<UInt64>.alignment
    }

    /// Whether the Deferred is complete. Guarded by `lock`.
    @inlinable
    var hasResult: Bool { !flags.isDisjoint(with: [.hasValue, .hasError]) }

    /// The result; set exactly once, from `nil`. Guarded by `lock`.
    @inlinable
    var storedResult: Result<Value, any Error>? {
        get {
            if flags.contains(.hasValue) {
                if Self.storesValueInline {
                    return .success(withUnsafeMutableBytes(of: &valueWords) { raw in
                        raw.baseAddress!.assumingMemoryBound(to: Value.self).pointee
                    })
                }
                return .success(unsafeDowncast(valueBox!, to: ValueBox<Value>.self).value)
            }
            if let storedError { return .failure(storedError) }
            return nil
        }
        set {
            switch newValue {
            case .success(let value)?:
                if Self.storesValueInline {
                    _ = withUnsafeMutableBytes(of: &valueWords) { raw in
                        raw.baseAddress!.initializeMemory(as: Value.self, to: value)
                    }
                } else {
                    valueBox = ValueBox(value)
                }
                flags.insert(.hasValue)
            case .failure(let error)?:
                storedError = error
                flags.insert(.hasError)
            case nil:
                preconditionFailure("DeferredKit: a result cannot be cleared")
            }
        }
    }
}

/// A value too large for a Deferred's inline words.
@usableFromInline
final class ValueBox<Value> {
    @usableFromInline let value: Value
    @inlinable init(_ value: Value) { self.value = value }
}
