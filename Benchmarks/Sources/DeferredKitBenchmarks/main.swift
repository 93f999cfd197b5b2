// Entry point: parse options, self-test the malloc counter, run the selected
// cases, print the table and write the requested files.

import CMallocCounter
import Foundation

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let cases = allCases(smoke: options.smoke).filter { options.selects($0.name) }.compactMap { c -> BenchCase? in
    var c = c
    let kept = c.contenders.filter { options.selectsContender($0.name) }
    if kept.count != c.contenders.count {
        let names = Set(kept.map(\.name))
        c.targets = c.targets.filter { names.contains($0.baseline) }
    }
    c.contenders = kept
    return c.contenders.isEmpty ? nil : c
}

if options.list {
    for c in cases { print("\(c.name)  —  \(c.summary)") }
    exit(0)
}
if cases.isEmpty {
    print("no case matches \(options.filters)")
    exit(1)
}

AllocCounter.selfTest()

var config = Runner.Config.full
if options.quick {
    config.batchNanoseconds = 5_000_000
    config.minRounds = 5
    config.maxRounds = 9
}
var runner = Runner(config: config, smoke: options.smoke)
runner.fixedIterations = options.fixedIterations
let machine = MachineInfo.current()
print("DeferredKit benchmarks — \(options.smoke ? "SMOKE (tiny sizes, timings meaningless)" : options.quick ? "quick" : "full") — \(machine.text)")

var results: [CaseResult] = []
for c in cases {
    let start = nowNanoseconds()
    let r = await runner.run(c)
    results.append(r)
    let secs = Double(nowNanoseconds() - start) / 1e9
    print("  ✓ \(c.name) (\(secs.formatted(decimals: 1)) s)")
    cmc_flush_stdout()
}

let judged = !options.smoke && options.fixedIterations == nil
let table = Table(results)
let scaling = ScalingSummary.make(results)
print("")
print(table.text())
if !scaling.isEmpty {
    print("")
    print(scaling.map { $0.text(judge: judged) }.joined(separator: "\n"))
}
print("\n* = DeferredKit. DK/this = DeferredKit ns/op ÷ this contender's ns/op (lower is better for us).")

if let path = options.jsonPath {
    try Report(machine: machine, mode: options.smoke ? "smoke" : options.quick ? "quick" : "full", cases: results, scaling: scaling)
        .write(to: path)
    print("wrote \(path)")
}
if let path = options.markdownPath {
    var md = "Machine: \(machine.text)\n\n" + table.markdown() + "\n"
    if !scaling.isEmpty { md += "\n```\n" + scaling.map { $0.text(judge: judged) }.joined(separator: "\n") + "\n```\n" }
    try md.write(toFile: path, atomically: true, encoding: .utf8)
    print("wrote \(path)")
}
if let path = options.chartPath {
    if scaling.isEmpty {
        print("no scaling cases selected; chart not written")
    } else {
        try ScalingChart.svg(scaling, machine: machine).write(toFile: path, atomically: true, encoding: .utf8)
        print("wrote \(path)")
    }
}
if options.smoke {
    print("smoke: \(results.count) cases ran and verified their results")
}
