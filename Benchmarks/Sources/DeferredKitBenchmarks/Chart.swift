// A dependency-free SVG line chart of the scaling series: one panel per
// series, log-log axes, input size vs total time per run.

import Foundation

enum ScalingChart {
    static let palette = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    /// Renders every series side by side; DeferredKit is drawn thicker.
    static func svg(_ summaries: [ScalingSummary], machine: MachineInfo) -> String {
        let panelW = 420.0, panelH = 320.0, margin = (l: 70.0, r: 20.0, t: 40.0, b: 110.0)
        let width = max(640, Double(max(1, summaries.count)) * (panelW + margin.l + margin.r))
        let height = panelH + margin.t + margin.b + 46
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="\(Int(height) - 26)" fill="#555">\(escape("DeferredKit benchmarks: \(machine.text)"))</text>
        <text x="10" y="\(Int(height) - 10)" fill="#555">Time per whole run vs input size, log-log: a line parallel to the grid diagonal (slope 1) is linear scaling.</text>

        """
        for (p, summary) in summaries.enumerated() {
            let ox = Double(p) * (panelW + margin.l + margin.r) + margin.l
            let oy = margin.t
            let points = summary.lines.flatMap(\.points).filter { $0.totalMilliseconds.isFinite && $0.totalMilliseconds > 0 }
            guard let minX = points.map(\.x).min(), let maxX = points.map(\.x).max(),
                  let minY = points.map(\.totalMilliseconds).min(), let maxY = points.map(\.totalMilliseconds).max()
            else { continue }
            let lx0 = log10(Double(minX)) - 0.1, lx1 = log10(Double(maxX)) + 0.1
            let ly0 = floor(log10(minY)), ly1 = max(ceil(log10(maxY)), ly0 + 1)
            func px(_ x: Int) -> Double { ox + (log10(Double(x)) - lx0) / (lx1 - lx0) * panelW }
            func py(_ y: Double) -> Double { oy + panelH - (log10(y) - ly0) / (ly1 - ly0) * panelH }

            s += "<text x=\"\(f(ox))\" y=\"\(f(oy - 15))\" font-size=\"14\" font-weight=\"bold\">\(escape(summary.series))</text>\n"
            s += "<rect x=\"\(f(ox))\" y=\"\(f(oy))\" width=\"\(f(panelW))\" height=\"\(f(panelH))\" fill=\"none\" stroke=\"#999\"/>\n"
            // Y grid: decades.
            var d = ly0
            while d <= ly1 {
                let y = py(pow(10, d))
                s += "<line x1=\"\(f(ox))\" x2=\"\(f(ox + panelW))\" y1=\"\(f(y))\" y2=\"\(f(y))\" stroke=\"#eee\"/>\n"
                s += "<text x=\"\(f(ox - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(msLabel(pow(10, d))))</text>\n"
                d += 1
            }
            // X ticks: the measured sizes.
            for x in Set(points.map(\.x)).sorted() {
                s += "<line x1=\"\(f(px(x)))\" x2=\"\(f(px(x)))\" y1=\"\(f(oy))\" y2=\"\(f(oy + panelH))\" stroke=\"#eee\"/>\n"
                s += "<text x=\"\(f(px(x)))\" y=\"\(f(oy + panelH + 16))\" text-anchor=\"middle\">\(sizeLabel(x))</text>\n"
            }
            s += "<text x=\"\(f(ox + panelW / 2))\" y=\"\(f(oy + panelH + 34))\" text-anchor=\"middle\">input size (links / inputs)</text>\n"
            s += "<text transform=\"translate(\(f(ox - 52)),\(f(oy + panelH / 2))) rotate(-90)\" text-anchor=\"middle\">time per run</text>\n"
            // Lines and legend.
            for (i, line) in summary.lines.enumerated() {
                let color = palette[i % palette.count]
                let width = line.role == .ours ? 3.0 : 1.5
                let pts = line.points.filter { $0.totalMilliseconds > 0 && $0.totalMilliseconds.isFinite }
                let path = pts.map { "\(f(px($0.x))),\(f(py($0.totalMilliseconds)))" }.joined(separator: " ")
                s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(width)\"/>\n"
                for pt in pts {
                    s += "<circle cx=\"\(f(px(pt.x)))\" cy=\"\(f(py(pt.totalMilliseconds)))\" r=\"3\" fill=\"\(color)\"><title>\(escape("\(line.contender) n=\(pt.x): \(msLabel(pt.totalMilliseconds)), \(pt.nsPerOp.formatted(decimals: 1)) ns/op"))</title></circle>\n"
                }
                let ly = oy + panelH + 52 + Double(i) * 16
                s += "<line x1=\"\(f(ox))\" x2=\"\(f(ox + 24))\" y1=\"\(f(ly - 4))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"\(width)\"/>\n"
                s += "<text x=\"\(f(ox + 30))\" y=\"\(f(ly))\">\(escape("\(line.contender): \(line.points.map { $0.nsPerOp.formatted(decimals: 1) }.joined(separator: " → ")) ns/op"))</text>\n"
            }
        }
        s += "</svg>\n"
        return s
    }

    private static func f(_ x: Double) -> String { x.formatted(decimals: 1) }

    private static func msLabel(_ ms: Double) -> String {
        if ms >= 1000 { return "\((ms / 1000).formatted(decimals: ms >= 10_000 ? 0 : 1)) s" }
        if ms >= 1 { return "\(ms.formatted(decimals: ms >= 10 ? 0 : 1)) ms" }
        return "\((ms * 1000).formatted(decimals: ms >= 0.01 ? 0 : 1)) µs"
    }

    private static func sizeLabel(_ x: Int) -> String {
        if x >= 1_000_000, x % 1_000_000 == 0 { return "\(x / 1_000_000)M" }
        if x >= 1000, x % 1000 == 0 { return "\(x / 1000)k" }
        return "\(x)"
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
