#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import DeferredKit

/// Groups the model-based stress suites, so that `swift test --filter Model` runs them all.
///
/// Each suite drives one part of the library with seeded random operation sequences and checks it, after
/// every step, against a small sequential model of the documented semantics. Independent sequences run
/// in parallel, so ThreadSanitizer sees real concurrency; within a sequence, a step that is concurrent by
/// nature (a task awaiting a Deferred, the cancellation of such a task) is awaited until it settles, by
/// yielding to the other tasks, never by sleeping.
///
/// Environment (all optional):
/// - `DEFERREDKIT_MODEL_SEQUENCES`: sequences per model (default 1,000).
/// - `DEFERREDKIT_MODEL_STEPS`: steps per sequence (default 200).
/// - `DEFERREDKIT_MODEL_SEED`: replays the one sequence with this seed (hex `0x…` or decimal), as printed
///   by a failure; `DEFERREDKIT_MODEL_TRACE=1` then prints every step.
/// - `DEFERREDKIT_MODEL_BASE_SEED`: derives the sequence seeds from another base (default fixed, so CI
///   runs the same sequences every time).
/// - `DEFERREDKIT_MODEL_WORKERS`: concurrent workers (default 6).
/// - `DEFERREDKIT_MODEL_SHOW`: how many failing sequences to record one by one (default 5).
@Suite enum Model {}

// MARK: - Configuration

extension Model {
    /// What to run, from the environment.
    struct Configuration: Sendable {
        var sequences = 1_000
        var steps = 200
        var workers = 6
        var baseSeed: UInt64 = 0x0DEF_E55E_D5EE_D000
        var replaySeed: UInt64?
        var trace = false
        var shown = 5

        static let current: Configuration = {
            func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
            var configuration = Configuration()
            if let n = environment("DEFERREDKIT_MODEL_SEQUENCES").flatMap(Int.init), n > 0 {
                configuration.sequences = n
            }
            if let n = environment("DEFERREDKIT_MODEL_STEPS").flatMap(Int.init), n > 0 { configuration.steps = n }
            if let n = environment("DEFERREDKIT_MODEL_WORKERS").flatMap(Int.init), n > 0 { configuration.workers = n }
            if let seed = environment("DEFERREDKIT_MODEL_BASE_SEED").flatMap(parseSeed) {
                configuration.baseSeed = seed
            }
            if let n = environment("DEFERREDKIT_MODEL_SHOW").flatMap(Int.init), n >= 0 { configuration.shown = n }
            configuration.replaySeed = environment("DEFERREDKIT_MODEL_SEED").flatMap(parseSeed)
            configuration.trace = environment("DEFERREDKIT_MODEL_TRACE").map { $0 != "0" && !$0.isEmpty } ?? false
            return configuration
        }()

        static func parseSeed(_ text: String) -> UInt64? {
            let digits = String(text.lowercased().filter { $0 != "_" && $0 != " " })
            if digits.hasPrefix("0x") { return UInt64(digits.dropFirst(2), radix: 16) }
            return UInt64(digits)
        }

        /// The seeds of this run: the replayed one, or `sequences` seeds derived from the base seed.
        var seeds: [UInt64] {
            if let replaySeed { return [replaySeed] }
            var generator = SplitMix64(seed: baseSeed)
            return (0..<sequences).map { _ in generator.next() }
        }
    }
}

// MARK: - Seeded randomness

extension Model {
    /// SplitMix64 (Steele, Lea and Flood): tiny, fast, and the same on every platform and toolchain, so a
    /// printed seed replays the same sequence anywhere.
    struct SplitMix64: RandomNumberGenerator {
        private var state: UInt64

        init(seed: UInt64) { state = seed }

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        /// A number in `0..<bound` (multiply-shift: no dependence on the standard library's algorithm).
        mutating func below(_ bound: Int) -> Int {
            precondition(bound > 0, "SplitMix64.below needs a positive bound")
            return Int((UInt128(next()) &* UInt128(bound)) >> 64)
        }

        /// `true` with probability `percent`/100.
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

        /// A random element's index in a non-empty collection, biased towards the end (recent entries are
        /// the interesting ones: pending, with few dependents) half of the time.
        mutating func recentIndex(count: Int) -> Int {
            if count > 4, chance(50) { return count - 1 - below(min(count, 6)) }
            return below(count)
        }
    }
}

// MARK: - One sequence

extension Model {
    /// The state one sequence's driver shares with the runner: the generator, the step, the first failure.
    final class SequenceRun {
        let seed: UInt64
        /// The sequence's place in the run: unique among the sequences running at once.
        let index: Int
        var random: SplitMix64
        var step = 0
        var operation = "setup"
        private(set) var failure: String?
        let trace: Bool
        /// How often each interesting situation arose (summed over the run and printed, to show what the
        /// random sequences really exercised).
        var counters: [String: Int] = [:]
        /// Steps performed, the finale's included.
        var stepsRun = 0

        init(seed: UInt64, index: Int, trace: Bool) {
            self.seed = seed
            self.index = index
            random = SplitMix64(seed: seed)
            self.trace = trace
        }

        var hasFailed: Bool { failure != nil }

        /// The line number this sequence passes to the completions it attempts, so that it can count its
        /// own diagnostic reports among everyone's (`DiagnosticsSpy.count(_:at:)`): unique in the process
        /// (models in one file run at once), and far above any real line.
        let diagnosticsLine: UInt = SequenceRun.lines.withLock { line in
            line += 1
            return line
        }

        private static let lines = Locked<UInt>(1_000_000)

        /// Records a failed check (only the first one of a sequence: later ones are usually its echoes).
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition, failure == nil { failure = message() }
        }

        func fail(_ message: String) { check(false, message) }

        /// Names the operation of the current step, for the failure message and the trace.
        func begin(_ operation: String) {
            self.operation = operation
            stepsRun += 1
            if trace { print("  step \(step): \(operation)") }
        }

        /// Counts one occurrence of a situation worth knowing the run exercised.
        func count(_ situation: String) { counters[situation, default: 0] += 1 }

        /// Yields until `condition` holds: the other side is a task that has been resumed, so this ends in
        /// a few yields; a bound turns a bug (a task that never resumes) into a failure instead of a hang.
        func settle(_ what: @autoclosure () -> String, until condition: () -> Bool) async {
            var spins = 0
            while !condition() {
                if spins == Model.settleBound {
                    fail("\(what()) did not happen (still not after \(spins) yields)")
                    return
                }
                spins += 1
                await Task.yield()
            }
        }
    }

    static let settleBound = 200_000
}

// MARK: - Running sequences in parallel

extension Model {
    /// Runs every configured sequence of one model on `workers` concurrent tasks, and records one issue per
    /// failing sequence (the first few; then a count) with its seed, step and operation.
    static func run(
        _ name: String, filter: String,
        sequence body: @escaping @Sendable (SequenceRun, _ steps: Int) async -> Void
    ) async {
        let configuration = Configuration.current
        let seeds = configuration.seeds
        let workers = min(configuration.workers, seeds.count)
        let failures = ModelFailures()
        let totals = Locked<(steps: Int, counters: [String: Int])>((0, [:]))
        let clock = ContinuousClock()
        let start = clock.now
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    for index in stride(from: worker, to: seeds.count, by: workers) {
                        let sequence = SequenceRun(seed: seeds[index], index: index, trace: configuration.trace)
                        if configuration.trace { print("\(name) model, seed 0x\(String(seeds[index], radix: 16)):") }
                        await body(sequence, configuration.steps)
                        totals.withLock { totals in
                            totals.steps += sequence.stepsRun
                            totals.counters.merge(sequence.counters, uniquingKeysWith: +)
                        }
                        if let failure = sequence.failure {
                            failures.add(ModelFailure(
                                seed: sequence.seed, step: sequence.step, operation: sequence.operation,
                                message: failure))
                        }
                    }
                }
            }
        }
        let elapsed = clock.now - start
        let (steps, counters) = totals.withLock { $0 }
        let situations = counters.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("\(name) model: \(seeds.count) sequences, \(steps) steps on \(workers) workers in \(elapsed); "
            + situations)
        let all = failures.all.sorted { $0.seed < $1.seed }
        for failure in all.prefix(configuration.shown) {
            let seed = "0x" + String(failure.seed, radix: 16)
            Issue.record("""
                \(name) model: seed \(seed), step \(failure.step) (\(failure.operation)): \(failure.message)
                replay: DEFERREDKIT_MODEL_SEED=\(seed) DEFERREDKIT_MODEL_TRACE=1 swift test --filter \(filter)
                """)
        }
        if all.count > configuration.shown {
            Issue.record(
                "\(name) model: \(all.count) of \(seeds.count) sequences failed (\(configuration.shown) shown)")
        }
    }

    struct ModelFailure: Sendable {
        let seed: UInt64
        let step: Int
        let operation: String
        let message: String
    }

    final class ModelFailures: Sendable {
        private let list = Locked<[ModelFailure]>([])
        func add(_ failure: ModelFailure) { list.withLock { $0.append(failure) } }
        var all: [ModelFailure] { list.withLock { $0 } }
    }
}
