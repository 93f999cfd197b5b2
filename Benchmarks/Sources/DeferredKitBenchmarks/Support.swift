// Shared helpers for benchmark bodies: optimizer sinks, result verification,
// a shared accumulator, and the monotonic clock.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Optimizer sinks

/// Consumes a value in a way the optimizer cannot see through, so the work
/// that produced it cannot be deleted.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Returns its argument through an opaque call, so constants cannot be
/// folded into the benchmark loop.
@inline(never)
func opaque<T>(_ value: T) -> T { value }

// MARK: - Verification

/// Crashes the process (in every build mode) if a benchmark computed a wrong
/// value. Every contender of every case calls this after its batch.
@inline(never)
func verify<T: Equatable>(
    _ actual: T, _ expected: T, _ what: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if actual != expected {
        fatalError("verification failed: \(what()): got \(actual), expected \(expected)", file: file, line: line)
    }
}

// MARK: - Accumulator

/// A plain, unsynchronized accumulator shared by observer closures.
///
/// Observers registered by the benchmarks capture nothing (they reach the
/// accumulator through `Accumulator.shared`), so no contender pays for a
/// closure context allocation that another does not. Only used from cases
/// whose observers all run on the benchmarking thread.
final class Accumulator: @unchecked Sendable {
    static let shared = Accumulator()
    var sum: Int = 0
    var count: Int = 0

    @inline(__always)
    func add(_ value: Int) {
        sum &+= value
        count &+= 1
    }

    /// Resets both fields and returns the previous values.
    func take() -> (sum: Int, count: Int) {
        defer { sum = 0; count = 0 }
        return (sum, count)
    }
}

/// The expected `Accumulator` sum for adding `0 ..< n` once each.
func triangular(_ n: Int) -> Int { n &* (n &- 1) / 2 }

/// A mutable box for state shared between concurrently running tasks that
/// is protected by the lock under test.
final class UnsafeCounter: @unchecked Sendable {
    var value: Int = 0
}

// MARK: - Clock

/// Monotonic time in nanoseconds.
@inline(__always)
func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// An error used where a case needs a failure value.
struct BenchmarkError: Error {}
