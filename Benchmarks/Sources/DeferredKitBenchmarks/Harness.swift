// The measurement engine: case/contender model, calibration, interleaved
// rounds until stable, allocation counting, and target evaluation.

// MARK: - Model

/// One implementation of a case's operation.
struct Contender: Sendable {
    enum Role: String, Sendable, Codable { case ours, baseline }

    /// Display name, also what targets refer to.
    let name: String
    let role: Role
    /// Runs `iterations` iterations of the operation and verifies what they
    /// computed (crashing on a wrong value). Anything set up inside is part
    /// of the batch but amortised over all its iterations.
    let run: @Sendable (_ iterations: Int) async -> Void

    static func ours(_ name: String = "DeferredKit", _ run: @escaping @Sendable (Int) async -> Void) -> Contender {
        Contender(name: name, role: .ours, run: run)
    }

    static func baseline(_ name: String, _ run: @escaping @Sendable (Int) async -> Void) -> Contender {
        Contender(name: name, role: .baseline, run: run)
    }
}

/// A goal for DeferredKit relative to one baseline: ours / baseline ≤ maxRatio.
struct Target: Sendable {
    enum Metric: String, Sendable, Codable { case time, allocations, bytes }
    let baseline: String
    let metric: Metric
    let maxRatio: Double

    static func time(_ baseline: String, _ maxRatio: Double) -> Target {
        Target(baseline: baseline, metric: .time, maxRatio: maxRatio)
    }
    static func allocations(_ baseline: String, _ maxRatio: Double = 1.0) -> Target {
        Target(baseline: baseline, metric: .allocations, maxRatio: maxRatio)
    }
    static func bytes(_ baseline: String, _ maxRatio: Double = 1.0) -> Target {
        Target(baseline: baseline, metric: .bytes, maxRatio: maxRatio)
    }

    var label: String {
        let r = maxRatio.formatted(decimals: maxRatio == maxRatio.rounded() ? 1 : 2)
        switch metric {
        case .time: return "≤\(r)×"
        case .allocations: return "allocs ≤\(r)×"
        case .bytes: return "bytes ≤\(r)×"
        }
    }
}

/// Places a case on a scaling chart: `series` groups cases, `x` is the size.
struct Scaling: Sendable, Codable {
    let series: String
    let x: Int
}

/// A benchmark case: several contenders doing the same work.
struct BenchCase: Sendable {
    /// Unique, filterable name, e.g. `chain.map/n=100000`.
    let name: String
    /// One line describing the operation.
    let summary: String
    /// How many "ops" one iteration of `run` performs (e.g. links in a chain).
    var opsPerIteration: Int = 1
    /// What an op is, for the table header ("op", "link", "input", ...).
    var opName: String = "op"
    var contenders: [Contender]
    var targets: [Target] = []
    var scaling: Scaling? = nil
    /// Whether ns/op is meaningful (false for pure memory cases).
    var timed: Bool = true
}

// MARK: - Results

/// What was measured for one contender in one case.
struct Measurement: Sendable, Codable {
    let contender: String
    let role: Contender.Role
    /// Median over rounds of nanoseconds per op.
    var nsPerOp: Double
    /// Interquartile range of the per-round figures, as % of the median.
    var spreadPercent: Double
    var rounds: Int
    var iterationsPerBatch: Int
    var allocationsPerOp: Double
    var bytesPerOp: Double
    var samplesNsPerOp: [Double]
}

/// Outcome of one target.
struct TargetOutcome: Sendable, Codable {
    let baseline: String
    let metric: Target.Metric
    let maxRatio: Double
    let label: String
    /// ours / baseline for the metric.
    let ratio: Double
    let met: Bool
}

/// Everything measured for one case.
struct CaseResult: Sendable, Codable {
    let name: String
    let summary: String
    let opName: String
    let opsPerIteration: Int
    let timed: Bool
    let scaling: Scaling?
    var measurements: [Measurement]
    var targets: [TargetOutcome]

    var ours: Measurement? { measurements.first { $0.role == .ours } }
    func measurement(_ name: String) -> Measurement? { measurements.first { $0.contender == name } }
}

// MARK: - Runner

/// Runs cases either for real (calibrated, interleaved, repeated until stable)
/// or in smoke mode (each contender once at tiny size, results verified).
struct Runner {
    struct Config {
        /// Wall time one timed batch should take.
        var batchNanoseconds: UInt64 = 30_000_000
        var minRounds = 9
        var maxRounds = 41
        /// Stop once every contender's running median moved less than this
        /// (relative) over the last `stabilityWindow` rounds.
        var stabilityTolerance = 0.01
        var stabilityWindow = 3
        /// After this much time in one case, stop at the next round ≥ minRounds.
        var caseBudgetNanoseconds: UInt64 = 25_000_000_000

        static let full = Config()
    }

    var config: Config
    var smoke: Bool
    /// When set, each contender runs once with this many iterations (profiling).
    var fixedIterations: Int? = nil

    /// Runs one case end to end.
    func run(_ benchCase: BenchCase) async -> CaseResult {
        if smoke || fixedIterations != nil { return await runOnce(benchCase, iterations: fixedIterations ?? 1) }
        let ops = Double(benchCase.opsPerIteration)
        let contenders = benchCase.contenders

        // Calibrate each contender's batch size (this also warms it up).
        var iterations: [Int] = []
        for c in contenders {
            let n = benchCase.timed ? await calibrate(c) : 1
            iterations.append(n)
        }

        // Interleaved rounds: every round runs every contender once, in a
        // rotating order, so drift and noise hit all of them alike.
        var samples = Array(repeating: [Double](), count: contenders.count)
        var medianHistory = Array(repeating: [Double](), count: contenders.count)
        let caseStart = nowNanoseconds()
        if benchCase.timed {
            var round = 0
            while round < config.maxRounds {
                for k in 0 ..< contenders.count {
                    let i = (k + round) % contenders.count
                    let t = await time(contenders[i], iterations[i])
                    samples[i].append(Double(t) / (Double(iterations[i]) * ops))
                    medianHistory[i].append(median(samples[i]))
                }
                round += 1
                if round >= config.minRounds {
                    if isStable(medianHistory) { break }
                    if nowNanoseconds() - caseStart > config.caseBudgetNanoseconds { break }
                }
            }
        }

        // Allocation counting, one batch per contender with counting on.
        var measurements: [Measurement] = []
        for (i, c) in contenders.enumerated() {
            let n = iterations[i]
            let delta = await AllocCounter.measure { await c.run(n) }
            let denom = Double(n) * ops
            measurements.append(Measurement(
                contender: c.name, role: c.role,
                nsPerOp: benchCase.timed ? median(samples[i]) : .nan,
                spreadPercent: benchCase.timed ? iqrPercent(samples[i]) : .nan,
                rounds: samples[i].count, iterationsPerBatch: n,
                allocationsPerOp: Double(delta.allocations) / denom,
                bytesPerOp: Double(delta.bytes) / denom,
                samplesNsPerOp: samples[i]))
        }
        return finish(benchCase, measurements)
    }

    /// Smoke / profiling mode: one verified timed run and one counted run per contender.
    private func runOnce(_ benchCase: BenchCase, iterations n: Int) async -> CaseResult {
        var measurements: [Measurement] = []
        for c in benchCase.contenders {
            let t = await time(c, n)
            let counted = smoke ? 2 : n
            let delta = await AllocCounter.measure { await c.run(counted) }
            let denom = Double(counted) * Double(benchCase.opsPerIteration)
            measurements.append(Measurement(
                contender: c.name, role: c.role,
                nsPerOp: Double(t) / (Double(n) * Double(benchCase.opsPerIteration)),
                spreadPercent: .nan, rounds: 1, iterationsPerBatch: n,
                allocationsPerOp: Double(delta.allocations) / denom,
                bytesPerOp: Double(delta.bytes) / denom,
                samplesNsPerOp: []))
        }
        return finish(benchCase, measurements)
    }

    private func finish(_ benchCase: BenchCase, _ measurements: [Measurement]) -> CaseResult {
        var result = CaseResult(
            name: benchCase.name, summary: benchCase.summary, opName: benchCase.opName,
            opsPerIteration: benchCase.opsPerIteration, timed: benchCase.timed,
            scaling: benchCase.scaling, measurements: measurements, targets: [])
        // Smoke / fixed-iteration timings are single runs: never judge them.
        guard let ours = result.ours, !smoke, fixedIterations == nil else { return result }
        for target in benchCase.targets {
            guard let base = result.measurement(target.baseline) else {
                fatalError("case \(benchCase.name): target refers to unknown contender \(target.baseline)")
            }
            let ratio: Double
            switch target.metric {
            case .time: ratio = ours.nsPerOp / base.nsPerOp
            case .allocations: ratio = safeRatio(ours.allocationsPerOp, base.allocationsPerOp)
            case .bytes: ratio = safeRatio(ours.bytesPerOp, base.bytesPerOp)
            }
            result.targets.append(TargetOutcome(
                baseline: target.baseline, metric: target.metric, maxRatio: target.maxRatio,
                label: target.label, ratio: ratio, met: ratio <= target.maxRatio))
        }
        return result
    }

    // MARK: Timing primitives

    /// Times one batch of `iterations`.
    private func time(_ c: Contender, _ iterations: Int) async -> UInt64 {
        let start = nowNanoseconds()
        await c.run(iterations)
        return nowNanoseconds() - start
    }

    /// Finds the iteration count whose batch takes about `batchNanoseconds`.
    private func calibrate(_ c: Contender) async -> Int {
        var n = 1
        while true {
            let t = max(await time(c, n), 1)
            if t >= config.batchNanoseconds / 2 || n >= 1 << 30 {
                let scaled = Double(n) * Double(config.batchNanoseconds) / Double(t)
                let final = max(1, Int(scaled))
                await c.run(final) // warm-up at the final size
                return final
            }
            let factor = min(100.0, max(2.0, Double(config.batchNanoseconds) / Double(t)))
            n = Int(Double(n) * factor)
        }
    }

    private func isStable(_ history: [[Double]]) -> Bool {
        history.allSatisfy { h in
            guard h.count > config.stabilityWindow, let last = h.last else { return false }
            let before = h[h.count - 1 - config.stabilityWindow]
            return abs(last - before) / last <= config.stabilityTolerance
        }
    }
}

// MARK: - Statistics

func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return .nan }
    let s = xs.sorted()
    let m = s.count / 2
    return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

/// Interquartile range as a percentage of the median.
func iqrPercent(_ xs: [Double]) -> Double {
    guard xs.count >= 4 else { return .nan }
    let s = xs.sorted()
    let q1 = s[s.count / 4], q3 = s[(3 * s.count) / 4]
    return (q3 - q1) / median(xs) * 100
}

/// ours / base, treating 0/0 as 1 (equal) and x/0 as infinity.
func safeRatio(_ ours: Double, _ base: Double) -> Double {
    if base == 0 { return ours == 0 ? 1 : .infinity }
    return ours / base
}

extension Double {
    func formatted(decimals: Int) -> String {
        guard isFinite else { return isNaN ? "-" : "∞" }
        var s = String(Int((abs(self) * pow10(decimals)).rounded()))
        if decimals > 0 {
            while s.count <= decimals { s = "0" + s }
            s.insert(".", at: s.index(s.endIndex, offsetBy: -decimals))
        }
        return (self < 0 ? "-" : "") + s
    }
    private func pow10(_ n: Int) -> Double { (0 ..< n).reduce(1.0) { r, _ in r * 10 } }
}
