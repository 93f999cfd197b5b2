// MARK: - DeferredBackoff

/// Ready-made delay sequences for `Deferred.retrying(backoff:shouldRetry:tolerance:clock:_:)` and
/// `withRetry(backoff:shouldRetry:tolerance:clock:operation:)`.
///
/// Any `Sequence<Duration>` works as a backoff: each element is the delay before one try, so the number
/// of elements is the number of tries.
///
/// ```swift
/// let delays = Array(DeferredBackoff.exponential(count: 4))   // [0, 10 ms, 20 ms, 40 ms]
/// ```
public enum DeferredBackoff {
    /// No delay before the first try, then `initial`, `initial × multiplier`, … capped at `maximum`,
    /// `count` elements in all.
    ///
    /// The defaults reproduce RetryingCall's `simpleBackoffIterator`: 0, 0.01, 0.02, 0.04, 0.08, 0.16,
    /// 0.32, 0.64, 1.28, 2.56 seconds — ten tries. With `jitter` `j` in `0...1`, every non-zero delay `d`
    /// is drawn uniformly from `d × (1 − j) ... d × (1 + j)` (still capped at `maximum`), so that many
    /// clients retrying together spread out. The draws use the system's random number generator; pass
    /// one with `exponential(initial:multiplier:maximum:count:jitter:using:)` for reproducible delays.
    ///
    /// A negative `count`, a `multiplier` below 1 or a `jitter` outside `0...1` is a programmer error and
    /// traps.
    ///
    /// ```swift
    /// let backoff = DeferredBackoff.exponential(initial: .milliseconds(100), maximum: .seconds(5), count: 6, jitter: 0.2)
    /// ```
    public static func exponential(
        initial: Duration = .milliseconds(10), multiplier: Double = 2, maximum: Duration = .seconds(120),
        count: Int = 10, jitter: Double = 0
    ) -> Exponential<SystemRandomNumberGenerator> {
        exponential(
            initial: initial, multiplier: multiplier, maximum: maximum, count: count, jitter: jitter,
            using: SystemRandomNumberGenerator())
    }

    /// The exponential backoff of `exponential(initial:multiplier:maximum:count:jitter:)`, drawing its
    /// jitter from `generator`. Every iteration starts from a copy of `generator`, so a seeded generator
    /// gives the same delays on every pass.
    ///
    /// ```swift
    /// let backoff = DeferredBackoff.exponential(jitter: 0.5, using: seededGenerator)
    /// ```
    public static func exponential<Generator: RandomNumberGenerator & Sendable>(
        initial: Duration = .milliseconds(10), multiplier: Double = 2, maximum: Duration = .seconds(120),
        count: Int = 10, jitter: Double, using generator: Generator
    ) -> Exponential<Generator> {
        precondition(count >= 0, "DeferredBackoff.exponential needs a count of at least 0, got \(count)")
        precondition(multiplier >= 1, "DeferredBackoff.exponential needs a multiplier of at least 1, got \(multiplier)")
        precondition((0...1).contains(jitter), "DeferredBackoff.exponential needs a jitter in 0...1, got \(jitter)")
        return Exponential(
            initial: initial, multiplier: multiplier, maximum: maximum, count: count, jitter: jitter, generator: generator)
    }
}

// MARK: - DeferredBackoff.Exponential

extension DeferredBackoff {
    /// The delays of `DeferredBackoff.exponential(initial:multiplier:maximum:count:jitter:)`.
    ///
    /// ```swift
    /// for delay in DeferredBackoff.exponential(count: 3) { print(delay) }   // 0 s, 0.01 s, 0.02 s
    /// ```
    public struct Exponential<Generator: RandomNumberGenerator & Sendable>: Sequence, Sendable {
        /// The first non-zero delay.
        public let initial: Duration
        /// The factor between successive delays.
        public let multiplier: Double
        /// The longest delay.
        public let maximum: Duration
        /// The number of delays, that is of tries.
        public let count: Int
        /// The relative spread of each delay, in `0...1`.
        public let jitter: Double
        /// Where the jitter is drawn from (copied by every iterator).
        public let generator: Generator

        /// Produces the delays one by one.
        public struct Iterator: IteratorProtocol, Sendable {
            let backoff: Exponential
            var generator: Generator
            var produced = 0
            var upcoming: Duration

            /// The next delay, or `nil` when every try has been used.
            public mutating func next() -> Duration? {
                guard produced < backoff.count else { return nil }
                produced += 1
                if produced == 1 { return .zero }
                let delay = Swift.min(upcoming, backoff.maximum)
                if upcoming < backoff.maximum { upcoming = Exponential.scale(upcoming, by: backoff.multiplier) }
                guard backoff.jitter > 0 else { return delay }
                let factor = Double.random(in: (1 - backoff.jitter)...(1 + backoff.jitter), using: &generator)
                return Swift.min(Exponential.scale(delay, by: factor), backoff.maximum)
            }
        }

        /// An iterator over the delays.
        public func makeIterator() -> Iterator { Iterator(backoff: self, generator: generator, upcoming: initial) }

        /// The number of delays.
        public var underestimatedCount: Int { count }

        /// Exact for whole multipliers (the default 2), so that RetryingCall's delays come out exactly.
        static func scale(_ duration: Duration, by factor: Double) -> Duration {
            if factor == factor.rounded(), factor < Double(Int.max) {
                return duration * Int(factor)
            }
            return duration * factor
        }
    }
}
