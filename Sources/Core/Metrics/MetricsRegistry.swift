import Foundation
import Synchronization

/// Counters, gauges and histograms with labels, rendered in the Prometheus text
/// exposition format (version 0.0.4) for `/metrics`.
public final class MetricsRegistry: Sendable {
    public enum Kind: Sendable, Equatable {
        case counter
        case gauge
        case histogram(buckets: [Double])
    }

    public struct Family: Sendable {
        public var name: String
        public var help: String
        public var kind: Kind

        public init(_ name: String, _ kind: Kind, help: String) {
            self.name = name
            self.help = help
            self.kind = kind
        }
    }

    /// Label values in a fixed order (sorted by label name), the key of one series.
    typealias Labels = [(String, String)]

    private struct Series {
        var labels: Labels
        var value = 0.0
        var bucketCounts: [Int] = []
        var sum = 0.0
        var count = 0
    }

    private struct State {
        var families: [Family] = []
        var series: [String: [String: Series]] = [:]
    }

    private let state = Mutex(State())

    public init(families: [Family]) {
        state.withLock { $0.families = families }
    }

    public func add(_ name: String, _ amount: Double = 1, labels: [String: String] = [:]) {
        update(name, labels) { series, _ in series.value += amount }
    }

    public func set(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        update(name, labels) { series, _ in series.value = value }
    }

    public func observe(_ name: String, _ value: Double, labels: [String: String] = [:]) {
        update(name, labels) { series, family in
            guard case .histogram(let buckets) = family.kind else { return }
            if series.bucketCounts.isEmpty { series.bucketCounts = [Int](repeating: 0, count: buckets.count) }
            for (index, bound) in buckets.enumerated() where value <= bound { series.bucketCounts[index] += 1 }
            series.sum += value
            series.count += 1
        }
    }

    /// Drops every series of a gauge family (before setting the current ones, e.g. the
    /// lag of the partitions a worker has now).
    public func reset(_ name: String) {
        state.withLock { $0.series[name] = [:] }
    }

    private func update(_ name: String, _ labels: [String: String], _ body: (inout Series, Family) -> Void) {
        let sorted = labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let key = sorted.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{1}")
        state.withLock { state in
            guard let family = state.families.first(where: { $0.name == name }) else {
                preconditionFailure("metric \(name) is not declared")
            }
            var series = state.series[name]?[key] ?? Series(labels: sorted)
            body(&series, family)
            state.series[name, default: [:]][key] = series
        }
    }

    /// The text format: `# HELP`, `# TYPE`, then one line per series (and per bucket).
    public func text() -> String {
        state.withLock { state in
            var lines: [String] = []
            for family in state.families {
                let type: String
                switch family.kind {
                case .counter: type = "counter"
                case .gauge: type = "gauge"
                case .histogram: type = "histogram"
                }
                lines.append("# HELP \(family.name) \(Self.escapeHelp(family.help))")
                lines.append("# TYPE \(family.name) \(type)")
                let all = (state.series[family.name] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
                for series in all {
                    switch family.kind {
                    case .counter, .gauge:
                        lines.append(family.name + Self.render(series.labels) + " " + Self.number(series.value))
                    case .histogram(let buckets):
                        for (index, bound) in buckets.enumerated() {
                            lines.append(family.name + "_bucket" + Self.render(series.labels + [("le", Self.number(bound))]) + " \(series.bucketCounts[index])")
                        }
                        lines.append(family.name + "_bucket" + Self.render(series.labels + [("le", "+Inf")]) + " \(series.count)")
                        lines.append(family.name + "_sum" + Self.render(series.labels) + " " + Self.number(series.sum))
                        lines.append(family.name + "_count" + Self.render(series.labels) + " \(series.count)")
                    }
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    static func render(_ labels: Labels) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.0)=\"\(escapeValue($0.1))\"" }.joined(separator: ",") + "}"
    }

    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    static func escapeValue(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
