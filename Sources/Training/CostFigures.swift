/// The built-in trainer's cost figures: numbers a sweep may minimise beside its losses that are a
/// function of the configuration alone, so that decisions taken on them are a function of the sweep
/// file and never of which machine trained a trial or how fast.
extension TrainingConfig {
    /// The images an epoch trains on and tests on.
    static let trainImages = 60_000, testImages = 10_000

    /// The layer widths, input first: 784, the hidden widths, 10.
    var layerWidths: [Int] { [784] + hidden + [10] }

    /// The model's parameters: every layer's weights and biases (the course's 784→128→128→10 has 118,282).
    public var modelSize: Int {
        let widths = layerWidths
        return zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
    }

    /// Multiply-adds of `epochs` epochs of this configuration (its own `epochs` when nil), as a Double
    /// (they pass 2⁵³ only for runs no sweep makes). Per training image: the forward pass F (Σ in·out
    /// over the layers), the weight gradients (F again) and the input gradients of every layer but the
    /// first (F − 784·h₁); per test image, F; per minibatch step, one per parameter (the update). The
    /// data size is `train_limit`/`test_limit` or the whole of FashionMNIST. What it leaves out: the
    /// activations, the loss, augmentation and a distillation teacher's forward pass.
    public func multiplyAdds(epochs: Int? = nil) -> Double {
        let widths = layerWidths
        let forward = Double(zip(widths, widths.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 })
        let firstLayer = Double(widths[0] * widths[1])
        let train = Double(min(trainLimit ?? TrainingConfig.trainImages, TrainingConfig.trainImages))
        let test = Double(min(testLimit ?? TrainingConfig.testImages, TrainingConfig.testImages))
        let steps = (train / Double(max(batchSize, 1))).rounded(.up)
        let perEpoch = train * (3 * forward - firstLayer) + test * forward + steps * Double(modelSize)
        return Double(epochs ?? self.epochs) * perEpoch
    }
}
