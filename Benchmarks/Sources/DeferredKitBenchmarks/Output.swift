// Rendering results: the console table, a Markdown table, JSON, and the
// scaling summary.

import Foundation

// MARK: - Table model

/// A row-oriented table rendered as aligned text or as Markdown.
struct Table {
    static let header = ["case", "contender", "ns/op", "±IQR%", "DK/this", "allocs/op", "bytes/op", "target (DK vs this)"]
    var rows: [[String]] = []

    init(_ results: [CaseResult]) {
        for r in results {
            let ours = r.ours
            for (i, m) in r.measurements.enumerated() {
                let caseCell = i == 0 ? "\(r.name) [\(r.opName)]" : ""
                let isOurs = m.role == .ours
                let ratio: String
                if isOurs || ours == nil || !r.timed {
                    ratio = ""
                } else {
                    ratio = (ours!.nsPerOp / m.nsPerOp).formatted(decimals: 2) + "×"
                }
                let targets = r.targets.filter { $0.baseline == m.contender }.map { t in
                    let shown = t.metric == .time ? "" : "\(t.metric == .allocations ? "allocs" : "bytes") "
                    return "\(shown)\(t.ratio.formatted(decimals: 2))× \(t.label.replacingOccurrences(of: "allocs ", with: "").replacingOccurrences(of: "bytes ", with: "")) \(t.met ? "MET" : "MISSED")"
                }.joined(separator: "; ")
                rows.append([
                    caseCell,
                    isOurs ? "\(m.contender) *" : m.contender,
                    r.timed ? m.nsPerOp.formatted(decimals: m.nsPerOp < 100 ? 2 : 1) : "-",
                    m.spreadPercent.formatted(decimals: 1),
                    ratio,
                    m.allocationsPerOp.formatted(decimals: 2),
                    m.bytesPerOp.formatted(decimals: 1),
                    targets,
                ])
            }
        }
    }

    /// Fixed-width text, numeric columns right-aligned.
    func text() -> String {
        let all = [Table.header] + rows
        let widths = (0 ..< Table.header.count).map { c in all.map { $0[c].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [2, 3, 4, 5, 6]
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return rightAligned.contains(c) ? pad + s : s + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var out = [line(Table.header), String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))]
        for (i, row) in rows.enumerated() {
            if i > 0 && !row[0].isEmpty { out.append("") }
            out.append(line(row))
        }
        return out.joined(separator: "\n")
    }

    /// GitHub-flavoured Markdown.
    func markdown() -> String {
        var out = ["| " + Table.header.joined(separator: " | ") + " |",
                   "|" + Table.header.indices.map { [2, 3, 4, 5, 6].contains($0) ? "---:" : "---" }.joined(separator: "|") + "|"]
        for row in rows {
            out.append("| " + row.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return out.joined(separator: "\n")
    }
}

// MARK: - Scaling summary

/// Per scaling series and contender: ns/op at each size, and the ratio of
/// the largest size's ns/op to the smallest's (1.0 = perfectly linear).
struct ScalingSummary: Sendable, Codable {
    struct Line: Sendable, Codable {
        let contender: String
        let role: Contender.Role
        let points: [Point]
        /// ns/op at the largest size ÷ ns/op at the smallest.
        let growth: Double
    }
    struct Point: Sendable, Codable {
        let x: Int
        let nsPerOp: Double
        let totalMilliseconds: Double
    }
    let series: String
    let lines: [Line]

    /// Linear: ns per element at the largest size within 1.5× of the smallest.
    static let linearTolerance = 1.5

    static func make(_ results: [CaseResult]) -> [ScalingSummary] {
        var order: [String] = []
        var bySeries: [String: [CaseResult]] = [:]
        for r in results {
            guard let s = r.scaling else { continue }
            if bySeries[s.series] == nil { order.append(s.series) }
            bySeries[s.series, default: []].append(r)
        }
        return order.map { series in
            let cases = bySeries[series]!.sorted { $0.scaling!.x < $1.scaling!.x }
            var names: [String] = []
            for c in cases { for m in c.measurements where !names.contains(m.contender) { names.append(m.contender) } }
            let lines = names.map { name -> Line in
                var role = Contender.Role.baseline
                let points = cases.compactMap { c -> Point? in
                    guard let m = c.measurement(name) else { return nil }
                    role = m.role
                    let x = c.scaling!.x
                    return Point(x: x, nsPerOp: m.nsPerOp, totalMilliseconds: m.nsPerOp * Double(c.opsPerIteration) / 1e6)
                }
                let growth = (points.last?.nsPerOp ?? .nan) / (points.first?.nsPerOp ?? .nan)
                return Line(contender: name, role: role, points: points, growth: growth)
            }
            return ScalingSummary(series: series, lines: lines)
        }
    }

    /// `judge: false` (smoke / profiling runs) leaves out the linearity verdict.
    func text(judge: Bool = true) -> String {
        var out = ["\(series): ns/op by size; growth = ns/op at largest ÷ at smallest (linear ≤ \(ScalingSummary.linearTolerance.formatted(decimals: 1)))"]
        for l in lines {
            let pts = l.points.map { "n=\($0.x): \($0.nsPerOp.formatted(decimals: 1))" }.joined(separator: ", ")
            var verdict = ""
            if judge && l.role == .ours { verdict = l.growth <= ScalingSummary.linearTolerance ? "  linear: MET" : "  linear: MISSED" }
            out.append("  \(l.contender.padding(toLength: 24, withPad: " ", startingAt: 0)) \(pts)  growth \(l.growth.formatted(decimals: 2))×\(verdict)")
        }
        return out.joined(separator: "\n")
    }
}

// MARK: - Machine

/// Where the numbers came from.
struct MachineInfo: Sendable, Codable {
    let cpuModel: String
    let logicalCPUs: Int
    let swiftVersion: String
    let date: String

    static func current() -> MachineInfo {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown"
        return MachineInfo(
            cpuModel: model,
            logicalCPUs: ProcessInfo.processInfo.activeProcessorCount,
            swiftVersion: swiftVersion(),
            date: ISO8601DateFormatter().string(from: Date()))
    }

    /// First line of `swift --version`, or the compiler range we were built with.
    private static func swiftVersion() -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["swift", "--version"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        if (try? p.run()) != nil {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            if let s = String(data: data, encoding: .utf8), let first = s.split(separator: "\n").first {
                return String(first)
            }
        }
        #if compiler(>=6.3)
        return "Swift compiler >= 6.3"
        #else
        return "Swift compiler < 6.3"
        #endif
    }

    var text: String { "\(cpuModel), \(logicalCPUs) logical CPUs, \(swiftVersion), \(date)" }
}

// MARK: - JSON

/// The `--json` document.
struct Report: Sendable, Codable {
    let machine: MachineInfo
    let mode: String
    let cases: [CaseResult]
    let scaling: [ScalingSummary]

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(self).write(to: URL(fileURLWithPath: path))
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
