import Foundation
import Plot

/// SVG elements as Plot nodes, so charts are built like the rest of the page (no string pasting).
enum SVG {
    typealias Content = Node<HTML.BodyContext>

    static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    /// An attribute, its value escaped (`Markup.escape`): Plot 0.14 writes attribute values as they
    /// are given, and names of metrics, parameters, values, trials and workers are anyone's text. Every
    /// attribute the report writes goes through here.
    static func attribute(_ name: String, _ value: String) -> Content {
        .attribute(named: name, value: Markup.escape(value))
    }

    static func svg(width: Double, height: Double, label: String, _ children: [Content]) -> Content {
        .element(named: "svg", nodes: [
            SVG.attribute("xmlns", "http://www.w3.org/2000/svg"),
            SVG.attribute("viewBox", "0 0 \(Int(width)) \(Int(height))"),
            SVG.attribute("width", "\(Int(width))"),
            SVG.attribute("height", "\(Int(height))"),
            SVG.attribute("role", "img"),
            SVG.attribute("aria-label", label),
        ] + children)
    }

    /// A group; `series` marks one data series (tests and readers count these).
    static func group(series: String? = nil, opacity: Double? = nil, _ children: [Content]) -> Content {
        var nodes: [Content] = []
        if let opacity { nodes.append(SVG.attribute("stroke-opacity", String(format: "%.2f", opacity))) }
        if let series {
            nodes.append(SVG.attribute("class", "series"))
            nodes.append(SVG.attribute("data-name", series))
        }
        return .element(named: "g", nodes: nodes + children)
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#999",
                     width: Double = 1, dash: String? = nil, title: String? = nil) -> Content {
        var attributes: [Content] = [
            SVG.attribute("x1", number(x1)), SVG.attribute("y1", number(y1)),
            SVG.attribute("x2", number(x2)), SVG.attribute("y2", number(y2)),
            SVG.attribute("stroke", stroke), SVG.attribute("stroke-width", number(width)),
        ]
        if let dash { attributes.append(SVG.attribute("stroke-dasharray", dash)) }
        if let title { attributes.append(.element(named: "title", text: title)) }
        return .element(named: "line", nodes: attributes)
    }

    static func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil,
                         opacity: Double = 1, title: String? = nil) -> Content {
        var nodes: [Content] = [
            SVG.attribute("points", points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")),
            SVG.attribute("fill", "none"), SVG.attribute("stroke", stroke),
            SVG.attribute("stroke-width", number(width)),
        ]
        if let dash { nodes.append(SVG.attribute("stroke-dasharray", dash)) }
        if opacity < 1 { nodes.append(SVG.attribute("stroke-opacity", String(format: "%.2f", opacity))) }
        if let title { nodes.append(.element(named: "title", text: title)) }
        return .element(named: "polyline", nodes: nodes)
    }

    /// A closed shape filled with `fill` (a band between two lines, say).
    static func polygon(_ points: [(Double, Double)], fill: String, opacity: Double, title: String? = nil) -> Content {
        var nodes: [Content] = [
            SVG.attribute("points", points.map { "\(number($0.0)),\(number($0.1))" }.joined(separator: " ")),
            SVG.attribute("fill", fill), SVG.attribute("fill-opacity", String(format: "%.2f", opacity)),
        ]
        if let title { nodes.append(.element(named: "title", text: title)) }
        return .element(named: "polygon", nodes: nodes)
    }

    static func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String,
                     opacity: Double = 1, title: String? = nil) -> Content {
        var nodes: [Content] = [
            SVG.attribute("x", number(x)), SVG.attribute("y", number(y)),
            SVG.attribute("width", number(width)), SVG.attribute("height", number(height)),
            SVG.attribute("fill", fill),
        ]
        if opacity < 1 { nodes.append(SVG.attribute("fill-opacity", String(format: "%.2f", opacity))) }
        if let title { nodes.append(.element(named: "title", text: title)) }
        return .element(named: "rect", nodes: nodes)
    }

    static func circle(_ cx: Double, _ cy: Double, radius: Double, fill: String, title: String? = nil) -> Content {
        var nodes: [Content] = [
            SVG.attribute("cx", number(cx)), SVG.attribute("cy", number(cy)),
            SVG.attribute("r", number(radius)), SVG.attribute("fill", fill),
        ]
        if let title { nodes.append(.element(named: "title", text: title)) }
        return .element(named: "circle", nodes: nodes)
    }

    /// Text; with `halo`, outlined in white so it stays legible over lines drawn beneath it.
    static func text(_ x: Double, _ y: Double, _ string: String, anchor: String = "start", size: Double = 11,
                     fill: String = "#333", rotate: Bool = false, halo: Bool = false) -> Content {
        var nodes: [Content] = [
            SVG.attribute("x", number(x)), SVG.attribute("y", number(y)),
            SVG.attribute("text-anchor", anchor), SVG.attribute("font-size", number(size)),
            SVG.attribute("fill", fill),
        ]
        if halo {
            nodes += [SVG.attribute("stroke", "#fff"), SVG.attribute("stroke-width", "3"),
                      SVG.attribute("stroke-linejoin", "round"), SVG.attribute("paint-order", "stroke")]
        }
        if rotate { nodes.append(SVG.attribute("transform", "rotate(-90 \(number(x)) \(number(y)))")) }
        nodes.append(.text(string))
        return .element(named: "text", nodes: nodes)
    }
}

/// Text made safe inside an element or a quoted attribute value: `&`, `"`, `'`, `<` and `>` as
/// character references, so a name like `"><script>` stays text.
public enum Markup {
    /// `text` with `& " ' < >` escaped (returned as it is when it has none of them).
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x22 || $0 == 0x27 || $0 == 0x3C || $0 == 0x3E }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}

/// Colours: a categorical palette and a sequential ramp (good = dark blue, bad = yellow).
enum Palette {
    static let categorical = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// `t` in [0, 1] along dark blue → teal → yellow.
    static func ramp(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(37, 52, 148), (44, 162, 145), (253, 231, 37)]
        let x = min(max(t.isFinite ? t : 1, 0), 1) * 2
        let i = min(Int(x), 1)
        let f = x - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}

/// A linear scale with round ticks.
struct LinearScale {
    let low: Double, high: Double, start: Double, end: Double

    init(domain: [Double], range: (Double, Double)) {
        let finite = domain.filter(\.isFinite)
        var low = finite.min() ?? 0, high = finite.max() ?? 1
        if low == high { low -= 0.5; high += 0.5 }
        let pad = (high - low) * 0.05
        self.low = low - pad
        self.high = high + pad
        (start, end) = range
    }

    func callAsFunction(_ value: Double) -> Double {
        start + (value - low) / (high - low) * (end - start)
    }

    /// About five round values inside the domain.
    var ticks: [Double] { LinearScale.niceTicks(low: low, high: high) }

    /// About five round values in [low, high]: multiples of 1, 2 or 5 times a power of ten.
    static func niceTicks(low: Double, high: Double) -> [Double] {
        guard high > low else { return [low] }
        let raw = (high - low) / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var ticks: [Double] = []
        var index = (low / step).rounded(.up)
        // Multiples of the step by index, not by adding it up, so ticks do not drift (0.30000000000000004).
        while index * step <= high * (1 + 1e-12) {
            ticks.append(index * step)
            index += 1
        }
        return ticks
    }
}
