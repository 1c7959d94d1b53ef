/// What one epoch produced.
public struct EpochMetrics: Codable, Equatable, Sendable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean of this epoch's minibatch losses, as the assignment printed it.
    public var trainLoss: Double
    /// Mean cross-entropy over the test images.
    public var testLoss: Double
    /// Fraction of test images classified correctly.
    public var testAccuracy: Double
    /// Wall time of the epoch including its test pass.
    public var seconds: Double

    enum CodingKeys: String, CodingKey {
        case epoch, trainLoss = "train_loss", testLoss = "test_loss", testAccuracy = "test_accuracy", seconds
    }

    /// Creates a record.
    public init(epoch: Int, trainLoss: Double, testLoss: Double, testAccuracy: Double, seconds: Double) {
        self.epoch = epoch
        self.trainLoss = trainLoss
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.seconds = seconds
    }

    /// Whether both losses are finite numbers.
    public var isFinite: Bool { trainLoss.isFinite && testLoss.isFinite }
}
