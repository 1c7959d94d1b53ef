/// What one epoch produced: the built-in trainer's three figures, or whatever a program printed.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// 1-based epoch number (a program's `epoch`, or the count of its metric lines).
    public var epoch: Int
    /// Mean of this epoch's minibatch losses, as the assignment printed it (NaN if a program did not print it).
    public var trainLoss: Double
    /// Mean cross-entropy over the test images (NaN if a program did not print it).
    public var testLoss: Double
    /// Fraction of test images classified correctly (NaN if a program did not print it).
    public var testAccuracy: Double
    /// Wall time of the epoch including its test pass.
    public var seconds: Double
    /// Every figure a program printed for this epoch, by name (empty for the built-in trainer).
    public var extra: [String: Double]

    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", testLoss = "test_loss", testAccuracy = "test_accuracy", seconds, extra = "metrics"
    }

    /// Creates a record.
    public init(epoch: Int, trainLoss: Double, testLoss: Double, testAccuracy: Double, seconds: Double,
                extra: [String: Double] = [:]) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.seconds = seconds
        self.extra = extra
    }

    /// A program's metric line as an epoch: every figure goes to `extra`, and the three names the
    /// built-in trainer prints also fill its fields (NaN when absent).
    public init(epoch: Int, seconds: Double, named values: [(name: String, value: Double)]) {
        self.init(epoch: epoch, trainLoss: .nan, testLoss: .nan, testAccuracy: .nan, seconds: seconds)
        for (name, value) in values {
            switch name {
            case "train_loss": trainLoss = value
            case "test_loss": testLoss = value
            case "test_accuracy": testAccuracy = value
            default: break
            }
            if name != "epoch" && name != "seconds" { extra[name] = value }
        }
    }

    /// Reads a record; `metrics` (a program's other figures) may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try container.decode(Int.self, forKey: .epoch)
        trainLoss = try container.decode(Double.self, forKey: .trainLoss)
        testLoss = try container.decode(Double.self, forKey: .testLoss)
        testAccuracy = try container.decode(Double.self, forKey: .testAccuracy)
        seconds = try container.decode(Double.self, forKey: .seconds)
        extra = try container.decodeIfPresent([String: Double].self, forKey: .extra) ?? [:]
    }

    /// Writes a record; `metrics` only when there are any, so the built-in trainer's lines stay as they were.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epoch, forKey: .epoch)
        try container.encode(trainLoss, forKey: .trainLoss)
        try container.encode(testLoss, forKey: .testLoss)
        try container.encode(testAccuracy, forKey: .testAccuracy)
        try container.encode(seconds, forKey: .seconds)
        if !extra.isEmpty { try container.encode(extra, forKey: .extra) }
    }

    /// The figure called `name`, nil if there is none by that name: a program's, or else one of the
    /// built-in trainer's three.
    public func value(named name: String) -> Double? {
        if let value = extra[name] { return value }
        guard extra.isEmpty else { return nil }
        switch name {
        case "train_loss": return trainLoss
        case "test_loss": return testLoss
        case "test_accuracy": return testAccuracy
        default: return nil
        }
    }

    /// Whether both losses are finite numbers.
    public var isFinite: Bool { trainLoss.isFinite && testLoss.isFinite }
}
