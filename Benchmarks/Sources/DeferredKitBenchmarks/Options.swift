// Command-line options.

import Foundation

/// Parsed command line.
///
///     DeferredKitBenchmarks [--filter SUBSTRING]... [--json PATH] [--chart PATH]
///                           [--markdown PATH] [--smoke] [--list] [--quick]
struct Options {
    /// Run only cases whose name contains one of these (case-insensitive).
    var filters: [String] = []
    var jsonPath: String?
    var chartPath: String?
    var markdownPath: String?
    /// Each case once at a tiny size, results verified, timing never judged.
    var smoke = false
    /// Print case names and exit.
    var list = false
    /// Shorter batches and fewer rounds (for iterating on the harness).
    var quick = false
    /// Run each contender once with exactly this many iterations (for
    /// profilers such as callgrind); timings are single runs.
    var fixedIterations: Int?
    /// Run only contenders whose name contains one of these (for profiling).
    var contenderFilters: [String] = []

    static let usage = """
    usage: DeferredKitBenchmarks [options]
      --filter S     run only cases whose name contains S (repeatable)
      --json PATH    write machine-readable results
      --chart PATH   write the scaling chart (SVG)
      --markdown P   write the results table as Markdown
      --smoke        run every case once at a tiny size and verify results (CI)
      --quick        shorter batches, fewer rounds (rough numbers)
      --iterations N run each contender once with N iterations (for profiling)
      --contender S  run only contenders whose name contains S (repeatable; for profiling)
      --list         list case names and exit
    """

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var it = args.makeIterator()
        func value(_ flag: String) -> String {
            guard let v = it.next() else { fail("\(flag) needs a value") }
            return v
        }
        while let a = it.next() {
            switch a {
            case "--filter": o.filters.append(value(a).lowercased())
            case "--json": o.jsonPath = value(a)
            case "--chart": o.chartPath = value(a)
            case "--markdown": o.markdownPath = value(a)
            case "--contender": o.contenderFilters.append(value(a).lowercased())
            case "--smoke": o.smoke = true
            case "--quick": o.quick = true
            case "--iterations":
                guard let n = Int(value(a)), n > 0 else { fail("--iterations needs a positive integer") }
                o.fixedIterations = n
            case "--list": o.list = true
            case "-h", "--help": print(usage); exit(0)
            default: fail("unknown argument \(a)")
            }
        }
        return o
    }

    func selectsContender(_ name: String) -> Bool {
        contenderFilters.isEmpty || contenderFilters.contains { name.lowercased().contains($0) }
    }

    func selects(_ name: String) -> Bool {
        filters.isEmpty || filters.contains { name.lowercased().contains($0) }
    }
}

private func fail(_ message: String) -> Never {
    print("error: \(message)\n\(Options.usage)")
    exit(2)
}
