// The result of a Deferred, stored so that destroying it needs no run-time metadata lookup.
//
// A generic class's `deinit` always runs unspecialised. Stored as `Result<Value, any Error>?`, the result
// costs two generic-metadata lookups per Deferred on that path; stored in one 24-byte slot — a value inline
// (destroyed with `Value`'s own metadata, which the class metadata carries), a box for a larger value, or
// the error existential — it costs none, and takes 16 bytes less than three separate fields.

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

    /// Runs `body` on the result slot. Guarded by `lock` (or called from `deinit`).
    @inlinable
    func withResultSlot<R>(_ body: (UnsafeMutableRawPointer) -> R) -> R {
        withUnsafeMutableBytes(of: &resultWords) { body($0.baseAddress!) }
    }

    /// The result; set exactly once, from `nil`. Guarded by `lock`.
    @inlinable
    var storedResult: Result<Value, any Error>? {
        get {
            if flags.contains(.hasValue) {
                if Self.storesValueInline {
                    return .success(withResultSlot { $0.assumingMemoryBound(to: Value.self).pointee })
                }
                let box = withResultSlot { $0.assumingMemoryBound(to: AnyObject.self).pointee }
                return .success(unsafeDowncast(box, to: ValueBox<Value>.self).value)
            }
            if flags.contains(.hasError) { return .failure(storedError) }
            return nil
        }
        set {
            precondition(!hasResult, "DeferredKit: a result is stored once")
            switch newValue {
            case .success(let value)?:
                if Self.storesValueInline {
                    withResultSlot { _ = $0.initializeMemory(as: Value.self, to: value) }
                } else {
                    let box: AnyObject = ValueBox(value)
                    withResultSlot { _ = $0.initializeMemory(as: AnyObject.self, to: box) }
                }
                flags.insert(.hasValue)
            case .failure(let error)?:
                withResultSlot { _ = $0.initializeMemory(as: (any Error).self, to: error) }
                flags.insert(.hasError)
            case nil:
                preconditionFailure("DeferredKit: a result cannot be cleared")
            }
        }
    }

    /// The stored error; only when `flags` contains `.hasError`.
    @inlinable
    var storedError: any Error {
        withResultSlot { $0.assumingMemoryBound(to: (any Error).self).pointee }
    }

    /// Destroys the stored value (from `deinit`), using only `Value`'s own metadata.
    @inlinable
    func destroyStoredValue() {
        if Self.storesValueInline {
            if !_isPOD(Value.self) {
                withResultSlot { _ = $0.assumingMemoryBound(to: Value.self).deinitialize(count: 1) }
            }
        } else {
            withResultSlot { _ = $0.assumingMemoryBound(to: AnyObject.self).deinitialize(count: 1) }
        }
    }

    /// Destroys the stored error (from `deinit`).
    @inlinable
    func destroyStoredError() {
        withResultSlot { _ = $0.assumingMemoryBound(to: (any Error).self).deinitialize(count: 1) }
    }
}

/// A value too large for a Deferred's inline words.
@usableFromInline
final class ValueBox<Value> {
    @usableFromInline let value: Value
    @inlinable init(_ value: Value) { self.value = value }
}
