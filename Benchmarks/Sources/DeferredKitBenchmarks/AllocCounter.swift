// Swift face of the CMallocCounter target: switch counting on around a
// closure and read how many allocations / bytes it made.

import CMallocCounter

/// Process-wide malloc counter (see Sources/CMallocCounter).
enum AllocCounter {
    /// Allocations and requested bytes made while counting was on.
    struct Delta: Sendable {
        var allocations: UInt64
        var bytes: UInt64
        var frees: UInt64
    }

    /// Runs `body` with counting switched on and returns what it allocated.
    /// Counts every thread of the process, so callers keep other threads quiet.
    static func measure(_ body: () async -> Void) async -> Delta {
        cmc_set_enabled(1)
        let before = cmc_read()
        await body()
        let after = cmc_read()
        cmc_set_enabled(0)
        return Delta(
            allocations: after.allocations &- before.allocations,
            bytes: after.bytes &- before.bytes,
            frees: after.frees &- before.frees)
    }

    /// Synchronous variant of ``measure(_:)``.
    static func measureSync(_ body: () -> Void) -> Delta {
        cmc_set_enabled(1)
        let before = cmc_read()
        body()
        let after = cmc_read()
        cmc_set_enabled(0)
        return Delta(
            allocations: after.allocations &- before.allocations,
            bytes: after.bytes &- before.bytes,
            frees: after.frees &- before.frees)
    }

    /// Checks that interposition is active and exact: allocating N instances
    /// of a known class must count N allocations of N × 24 bytes
    /// (16-byte object header + one Int). Crashes otherwise.
    static func selfTest() {
        let n = 1000
        var keep: [KnownObject] = []
        keep.reserveCapacity(n)
        blackHole(makeKnownObject(-1)) // warm-up outside the counted region
        let delta = measureSync {
            for i in 0 ..< n { keep.append(makeKnownObject(i)) }
        }
        verify(keep.count, n, "self-test object count")
        verify(delta.allocations, UInt64(n), "malloc counter self-test: allocations for \(n) objects")
        verify(delta.bytes, UInt64(n * 24), "malloc counter self-test: bytes for \(n) objects")
    }
}

/// An object of known size (24 bytes on 64-bit) used to validate the counter.
final class KnownObject: @unchecked Sendable {
    var value: Int
    init(_ value: Int) { self.value = value }
}

@inline(never)
func makeKnownObject(_ value: Int) -> KnownObject { KnownObject(value) }
