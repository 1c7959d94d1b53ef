/// One line of a program's metrics: a JSON object whose numbers are metrics (`{"epoch": 3,
/// "test_loss": 0.41}`), the format `sweep train --json` prints. `epoch` (or `step`), when given,
/// numbers the line; otherwise lines count 1, 2, 3, ….
public struct MetricLine: Equatable, Sendable {
    /// The line's number as the program gave it (`epoch`, else `step`), if it did.
    public var epoch: Int?
    /// The object's numbers but `epoch` and `step`, in the line's order.
    public var values: [Metric]

    /// One named number.
    public struct Metric: Equatable, Sendable {
        public var name: String
        public var value: Double
        public init(_ name: String, _ value: Double) {
            self.name = name
            self.value = value
        }
        public static func == (a: Metric, b: Metric) -> Bool {
            a.name == b.name && (a.value == b.value || (a.value.isNaN && b.value.isNaN))
        }
    }

    /// A line.
    public init(epoch: Int?, values: [Metric]) {
        self.epoch = epoch
        self.values = values
    }

    /// The value of `name`, if the line has it.
    public func value(_ name: String) -> Double? { values.first { $0.name == name }?.value }

    /// The line read as metrics, or nil if it is not one JSON object (then it is a log line).
    /// Python's `json.dumps` writes `NaN`, `Infinity` and `-Infinity` bare, `sweep train --json` as
    /// strings (`"nan"`): both read as numbers, so a diverged loss is a metric, not a log line. Nested
    /// values and other strings are skipped.
    public static func parse(_ line: Substring) -> MetricLine? {
        var scanner = JSONScanner(Array(line.utf8))
        guard let members = scanner.object(), scanner.atEnd else { return nil }
        var epoch: Int?
        var values: [Metric] = []
        for (key, number) in members {
            if key == "epoch" || (key == "step" && epoch == nil) {
                if number.rounded() == number, abs(number) < 1e15 { epoch = Int(number) }
                continue
            }
            values.append(Metric(key, number))
        }
        return MetricLine(epoch: epoch, values: values)
    }
}
