import Foundation
import SweepCore

/// A multilayer perceptron: Linear → ReLU → [Dropout] per hidden layer, then Linear → LogSoftmax,
/// trained with cross-entropy. Parameters live in one flat buffer so an optimiser step is one pass.
///
/// Layout per layer `l`: weights `W_l` (`out × in`, row-major, as PyTorch's `nn.Linear.weight`),
/// then biases `b_l` (`out`). Activations are row-major `rows × width`.
public final class MLP {
    /// Widths, input first, classes last, e.g. `[784, 128, 128, 10]`.
    public let layerSizes: [Int]
    /// The number of weights and biases.
    public let parameterCount: Int
    /// All weights and biases, flat.
    public let parameters: UnsafeMutableBufferPointer<Float>
    /// The most rows one forward pass can take.
    public let capacity: Int

    /// Offsets of `W_l` and `b_l` in `parameters`, for `l` in `0..<layerCount`.
    let weightOffsets: [Int]
    let biasOffsets: [Int]
    /// `activations[0]` is the input; `activations[l]` the output of layer `l` (logits for the last).
    let activations: [UnsafeMutablePointer<Float>]
    /// `deltas[l]` is ∂loss/∂(pre-activation of layer `l`), for `l ≥ 1`.
    let deltas: [UnsafeMutablePointer<Float>]
    /// Column sums scratch for bias gradients.
    let columnSums: UnsafeMutablePointer<Float>
    /// The scale of kept units in the last training forward pass (1 without dropout).
    private var dropoutScale: Float = 1

    /// The number of linear layers.
    public var layerCount: Int { layerSizes.count - 1 }
    /// The input width.
    public var inputSize: Int { layerSizes[0] }
    /// The number of classes.
    public var outputSize: Int { layerSizes[layerCount] }
    /// The input buffer (`capacity × inputSize`) that callers fill before `forward`.
    public var input: UnsafeMutablePointer<Float> { activations[0] }

    /// Creates a network initialised as PyTorch's `nn.Linear`: weights and biases uniform in ±1/√fan_in.
    public init(layerSizes: [Int], seed: UInt64, capacity: Int) {
        precondition(layerSizes.count >= 2 && layerSizes.allSatisfy { $0 > 0 } && capacity > 0)
        self.layerSizes = layerSizes
        self.capacity = capacity
        var weightOffsets: [Int] = [], biasOffsets: [Int] = [], offset = 0
        for l in 1..<layerSizes.count {
            weightOffsets.append(offset)
            offset += layerSizes[l] * layerSizes[l - 1]
            biasOffsets.append(offset)
            offset += layerSizes[l]
        }
        self.weightOffsets = weightOffsets
        self.biasOffsets = biasOffsets
        self.parameterCount = offset
        self.parameters = .allocate(capacity: offset)
        self.activations = layerSizes.map { UnsafeMutablePointer<Float>.allocate(capacity: capacity * $0) }
        // The input layer needs no delta: nothing upstream learns from it.
        self.deltas = layerSizes.indices.map { UnsafeMutablePointer<Float>.allocate(capacity: $0 == 0 ? 1 : capacity * layerSizes[$0]) }
        self.columnSums = .allocate(capacity: layerSizes.max()!)
        for (buffer, width) in zip(activations, layerSizes) { buffer.initialize(repeating: 0, count: capacity * width) }

        var random = SplitMix64(seed: seed, stream: RandomStream.initialisation.rawValue)
        for l in 0..<layerCount {
            let bound = 1 / Double(layerSizes[l]).squareRoot()
            let count = layerSizes[l + 1] * layerSizes[l] + layerSizes[l + 1]
            for i in weightOffsets[l]..<(weightOffsets[l] + count) {
                parameters[i] = Float((random.nextUnitDouble() * 2 - 1) * bound)
            }
        }
    }

    deinit {
        parameters.deallocate()
        for buffer in activations { buffer.deallocate() }
        for buffer in deltas { buffer.deallocate() }
        columnSums.deallocate()
    }

    /// The weights of layer `l` (`out × in`, row-major).
    public func weights(_ l: Int) -> UnsafeMutablePointer<Float> { parameters.baseAddress! + weightOffsets[l] }
    /// The biases of layer `l`.
    public func biases(_ l: Int) -> UnsafeMutablePointer<Float> { parameters.baseAddress! + biasOffsets[l] }

    /// What one forward pass found.
    public struct Outcome: Sendable {
        /// The sum of the per-row cross-entropy losses.
        public var lossSum: Double
        /// Rows whose largest logit is their label.
        public var correct: Int
    }

    /// Runs `rows` inputs from `input` through the network against `labels`.
    ///
    /// With `training`, dropout (if any) is applied and ∂(mean loss)/∂logits is kept for `backward`.
    @discardableResult
    public func forward(rows: Int, labels: UnsafePointer<UInt8>, training: Bool,
                        dropout: Dropout? = nil) -> Outcome {
        precondition(rows > 0 && rows <= capacity)
        let drop = training ? dropout.flatMap { $0.probability > 0 ? $0 : nil } : nil
        dropoutScale = drop?.scale ?? 1
        for l in 0..<layerCount {
            let (inputs, outputs) = (layerSizes[l], layerSizes[l + 1])
            let out = activations[l + 1]
            BLAS.gemm(transposeA: false, transposeB: true, m: rows, n: outputs, k: inputs,
                      alpha: 1, a: activations[l], lda: inputs, b: weights(l), ldb: inputs,
                      beta: 0, c: out, ldc: outputs)
            if l + 1 < layerCount {
                addBiasReLU(out, rows: rows, width: outputs, bias: biases(l), dropout: drop, layer: l)
            }
        }
        return logSoftmaxLoss(rows: rows, labels: labels, keepGradient: training)
    }

    /// Bias, ReLU and dropout in one pass over a hidden layer's output.
    private func addBiasReLU(_ z: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                             bias: UnsafeMutablePointer<Float>, dropout: Dropout?, layer: Int) {
        guard let dropout else {
            for r in 0..<rows {
                let row = z + r * width
                for j in 0..<width { row[j] = max(row[j] + bias[j], 0) }
            }
            return
        }
        let key = dropout.layerKey(layer), threshold = dropout.threshold, scale = dropout.scale
        for r in 0..<rows {
            let row = z + r * width
            let base = r * width
            var j = 0
            // Eight lanes at a time: the 32-bit hash and the select vectorise even on baseline x86-64.
            while j + 8 <= width {
                let keep = Dropout.keeps8(layerKey: key, firstIndex: base + j, threshold: threshold)
                let raw = UnsafeMutableRawPointer(row + j)
                let b = UnsafeRawPointer(bias + j).loadUnaligned(as: SIMD8<Float>.self)
                let value = (raw.loadUnaligned(as: SIMD8<Float>.self) + b).replacing(with: 0, where: .!keep)
                raw.storeBytes(of: value.replacing(with: 0, where: value .< 0) * scale, as: SIMD8<Float>.self)
                j += 8
            }
            while j < width {
                let kept = Dropout.keeps(layerKey: key, index: base + j, threshold: threshold)
                row[j] = kept ? max(row[j] + bias[j], 0) * scale : 0
                j += 1
            }
        }
    }

    /// Log-softmax and negative log-likelihood of the last layer; optionally the gradient
    /// (softmax − one-hot) / rows into `deltas[last]`.
    private func logSoftmaxLoss(rows: Int, labels: UnsafePointer<UInt8>, keepGradient: Bool) -> Outcome {
        let classes = outputSize, last = layerCount
        let logits = activations[last], delta = deltas[last], bias = biases(last - 1)
        let inverseRows = 1 / Float(rows)
        var lossSum = 0.0, correct = 0
        for r in 0..<rows {
            let row = logits + r * classes
            var best = -Float.infinity, bestIndex = 0
            for k in 0..<classes {
                row[k] += bias[k]
                if row[k] > best { best = row[k]; bestIndex = k }
            }
            var total: Float = 0
            for k in 0..<classes { total += expf(row[k] - best) }
            let logSum = best + logf(total)
            let label = Int(labels[r])
            lossSum += Double(logSum - row[label])
            if bestIndex == label { correct += 1 }
            if keepGradient {
                let d = delta + r * classes
                for k in 0..<classes { d[k] = expf(row[k] - logSum) * inverseRows }
                d[label] -= inverseRows
            }
        }
        return Outcome(lossSum: lossSum, correct: correct)
    }

    /// The logits of the last `forward` (`rows × outputSize`, biases added).
    var logits: UnsafeMutablePointer<Float> { activations[layerCount] }

    /// Knowledge distillation (Hinton et al., 2015): after a training `forward`, replaces the kept
    /// gradient by that of the mean over rows of
    /// `(1 − α)·H(y, σ(z)) + α·T²·H(σ(t/T), σ(z/T))`, where z are this network's logits and t the
    /// teacher's for the same inputs: `((1 − α)(σ(z) − y) + α·T·(σ(z/T) − σ(t/T))) / rows`. Returns the
    /// objective summed over the rows.
    @discardableResult
    public func distill(teacherLogits: UnsafePointer<Float>, rows: Int, labels: UnsafePointer<UInt8>,
                        temperature: Double, alpha: Double) -> Double {
        let classes = outputSize, z = logits, delta = deltas[layerCount]
        let (t, a) = (Float(temperature), Float(alpha))
        let inverseRows = 1 / Float(rows)
        var total = 0.0
        for r in 0..<rows {
            let row = z + r * classes, teacher = teacherLogits + r * classes, d = delta + r * classes
            func logSumExp(_ x: (Int) -> Float) -> Float {
                var best = -Float.infinity
                for k in 0..<classes { best = max(best, x(k)) }
                var sum: Float = 0
                for k in 0..<classes { sum += expf(x(k) - best) }
                return best + logf(sum)
            }
            let hard = logSumExp { row[$0] }
            let soft = logSumExp { row[$0] / t }
            let target = logSumExp { teacher[$0] / t }
            let label = Int(labels[r])
            var softLoss: Float = 0
            for k in 0..<classes {
                let p = expf(row[k] - hard), q = expf(row[k] / t - soft), pt = expf(teacher[k] / t - target)
                softLoss += pt * (soft - row[k] / t)
                d[k] = ((1 - a) * (p - (k == label ? 1 : 0)) + a * t * (q - pt)) * inverseRows
            }
            total += Double((1 - a) * (hard - row[label]) + a * t * t * softLoss)
        }
        return total
    }

    /// Back-propagates the last training `forward` of `rows` rows and writes, for every parameter,
    /// `target = alpha · gradient + beta · target` (target laid out as `parameters`).
    ///
    /// `target` may be `parameters` itself (plain SGD folded into the GEMMs: `alpha = −lr`): each
    /// layer's input gradient is computed before that layer's weights are overwritten.
    public func backward(rows: Int, into target: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
        for l in stride(from: layerCount - 1, through: 0, by: -1) {
            let (inputs, outputs) = (layerSizes[l], layerSizes[l + 1])
            let delta = deltas[l + 1]
            if l > 0 {
                // ∂/∂(layer input) uses the weights before this step's update.
                let upstream = deltas[l]
                BLAS.gemm(transposeA: false, transposeB: false, m: rows, n: inputs, k: outputs,
                          alpha: 1, a: delta, lda: outputs, b: weights(l), ldb: inputs,
                          beta: 0, c: upstream, ldc: inputs)
                maskReLU(upstream, activation: activations[l], count: rows * inputs)
            }
            BLAS.gemm(transposeA: true, transposeB: false, m: outputs, n: inputs, k: rows,
                      alpha: alpha, a: delta, lda: outputs, b: activations[l], ldb: inputs,
                      beta: beta, c: target + weightOffsets[l], ldc: inputs)
            biasGradient(delta, rows: rows, width: outputs, into: target + biasOffsets[l], alpha: alpha, beta: beta)
        }
    }

    /// ReLU and dropout backward: a unit passed gradient iff its output was positive, scaled as it was.
    @inline(__always)
    private func maskReLU(_ gradient: UnsafeMutablePointer<Float>, activation: UnsafeMutablePointer<Float>,
                          count: Int) {
        let scale = dropoutScale
        var i = 0
        while i + 8 <= count {
            let g = UnsafeMutableRawPointer(gradient + i)
            let a = UnsafeRawPointer(activation + i).loadUnaligned(as: SIMD8<Float>.self)
            let masked = (g.loadUnaligned(as: SIMD8<Float>.self) * scale).replacing(with: 0, where: .!(a .> 0))
            g.storeBytes(of: masked, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            gradient[i] = activation[i] > 0 ? gradient[i] * scale : 0
            i += 1
        }
    }

    /// `target = alpha · Σ_rows delta + beta · target`.
    private func biasGradient(_ delta: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                              into target: UnsafeMutablePointer<Float>, alpha: Float, beta: Float) {
        columnSums.update(repeating: 0, count: width)
        for r in 0..<rows {
            let row = delta + r * width
            for j in 0..<width { columnSums[j] += row[j] }
        }
        if beta == 0 {
            for j in 0..<width { target[j] = alpha * columnSums[j] }
        } else {
            for j in 0..<width { target[j] = alpha * columnSums[j] + beta * target[j] }
        }
    }
}
