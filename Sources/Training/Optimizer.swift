import CKernels
import Foundation

/// The update rules of `torch.optim`, exactly as PyTorch writes them, for every parameter (biases
/// too, as `optimizer(model.parameters())` treats them), with an optional L1 subgradient `l1·sign(w)`
/// in the gradient and a max-norm constraint after each step (this project's extensions):
///
/// - **SGD** (dampening 0): `g = ∇ + wd·w`, `v = g` on the first step and `μ·v + g` after,
///   `d = nesterov ? g + μ·v : v`, `w -= lr·d`. Where the algebra allows, the update is folded into
///   the gradient GEMMs: plain SGD writes `w ← (1 − lr·wd)·w − lr·∇` straight into the weights, and
///   heavy-ball momentum accumulates `v ← μ·v + ∇` in the GEMM.
/// - **Adam** (`torch.optim.Adam`, betas (0.9, 0.999), eps 1e-8, not amsgrad): `g = ∇ + wd·w`,
///   `m ← m + (1 − β₁)(g − m)`, `v ← β₂·v + (1 − β₂)·g²`, and with t the step (from 1),
///   `w ← w − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)`.
/// - **AdamW**: as Adam with `g = ∇`, after `w ← (1 − lr·wd)·w` (decoupled decay).
/// - **RMSprop** (alpha 0.99, eps 1e-8): `g = ∇ + wd·w`, `s ← α·s + (1 − α)·g²`; centred:
///   `ḡ ← ḡ + (1 − α)(g − ḡ)`, `a = √(s − ḡ²) + eps`, else `a = √s + eps`; with momentum
///   `b ← μ·b + g/a`, `w -= lr·b`, else `w -= lr·g/a`.
///
/// The Adam and RMSprop updates are one pass over the parameters in C, sixteen lanes at a time where
/// the CPU has AVX-512 (`OptimizerKernels.c`).
public final class Optimizer {
    /// The rule.
    public let kind: OptimizerKind
    /// The hyperparameters, as Floats.
    public let learningRate: Float, momentum: Float, weightDecay: Float, l1: Float, maxNorm: Float
    /// Nesterov momentum (SGD).
    public let nesterov: Bool
    /// RMSprop's centred variant.
    public let centered: Bool
    /// Steps taken so far.
    public private(set) var steps = 0

    /// `torch.optim.Adam`'s and `AdamW`'s defaults.
    public static let adamBetas: (Double, Double) = (0.9, 0.999), adamEpsilon: Float = 1e-8
    /// `torch.optim.RMSprop`'s defaults (alpha a Double, as Python's float: see `rmspropUpdate`).
    public static let rmspropAlpha: Double = 0.99, rmspropEpsilon: Float = 1e-8

    /// The state a checkpoint keeps, one buffer of `parameterCount` floats each: SGD's velocity (with
    /// momentum); Adam's first and second moments; RMSprop's square average, then its gradient average
    /// (centred) and momentum buffer (with momentum).
    private let state: [UnsafeMutableBufferPointer<Float>]
    private let gradient: UnsafeMutableBufferPointer<Float>?

    /// How a step combines gradient and update.
    private enum Mode { case fused, heavyBall, general, adam, rmsprop }
    private let mode: Mode

    /// How many state buffers `config`'s optimiser keeps.
    public static func stateBufferCount(_ config: TrainingConfig) -> Int {
        switch config.optimizer {
        case .sgd: return config.momentum == 0 ? 0 : 1
        case .adam, .adamw: return 2
        case .rmsprop: return 1 + (config.centered ? 1 : 0) + (config.momentum > 0 ? 1 : 0)
        }
    }

    /// An optimiser for `model` configured by `config`.
    public init(for model: MLP, config: TrainingConfig) {
        kind = config.optimizer
        learningRate = Float(config.learningRate)
        momentum = Float(config.momentum)
        weightDecay = Float(config.weightDecay)
        l1 = Float(config.l1)
        maxNorm = Float(config.maxNorm)
        nesterov = config.nesterov
        centered = config.centered
        switch kind {
        case .sgd:
            if l1 == 0 && !nesterov {
                mode = momentum == 0 ? .fused : .heavyBall
            } else {
                mode = .general
            }
        case .adam, .adamw: mode = .adam
        case .rmsprop: mode = .rmsprop
        }
        state = (0..<Optimizer.stateBufferCount(config)).map { _ in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: model.parameterCount)
            buffer.initialize(repeating: 0)
            return buffer
        }
        gradient = mode == .fused || mode == .heavyBall ? nil : .allocate(capacity: model.parameterCount)
        gradient?.initialize(repeating: 0)
    }

    deinit {
        for buffer in state { buffer.deallocate() }
        gradient?.deallocate()
    }

    /// The state buffers' contents, for a checkpoint.
    public var stateValues: [[Float]] { state.map(Array.init) }

    /// Continues from a checkpoint: `steps` taken, with these state buffers (as `stateValues` gave them).
    public func restore(steps: Int, state values: [[Float]]) {
        self.steps = steps
        for (buffer, stored) in zip(state, values) where stored.count == buffer.count {
            _ = buffer.update(from: stored)
        }
    }

    /// Back-propagates `model`'s last training forward pass of `rows` rows and updates its parameters.
    public func step(_ model: MLP, rows: Int) {
        let w = model.parameters.baseAddress!, count = model.parameterCount
        let lr = learningRate, wd = weightDecay
        switch mode {
        case .fused:
            model.backward(rows: rows, into: w, alpha: -lr, beta: 1 - lr * wd)
        case .heavyBall:
            let v = state[0].baseAddress!
            model.backward(rows: rows, into: v, alpha: 1, beta: steps == 0 ? 0 : momentum)
            if wd == 0 {
                for i in 0..<count { w[i] -= lr * v[i] }
            } else {
                for i in 0..<count {
                    v[i] += wd * w[i]
                    w[i] -= lr * v[i]
                }
            }
        case .general:
            let g = gradient!.baseAddress!
            model.backward(rows: rows, into: g, alpha: 1, beta: 0)
            generalUpdate(w, gradient: g, count: count)
        case .adam:
            let g = gradient!.baseAddress!
            model.backward(rows: rows, into: g, alpha: 1, beta: 0)
            adamUpdate(w, gradient: g, count: count)
        case .rmsprop:
            let g = gradient!.baseAddress!
            model.backward(rows: rows, into: g, alpha: 1, beta: 0)
            rmspropUpdate(w, gradient: g, count: count)
        }
        steps += 1
        if maxNorm > 0 { applyMaxNorm(model) }
    }

    /// The textbook update with every option, for Nesterov and L1.
    private func generalUpdate(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>,
                               count: Int) {
        let lr = learningRate, mu = momentum
        addPenaltyGradient(to: g, weights: w, count: count)
        guard let v = state.first?.baseAddress else {
            for i in 0..<count { w[i] -= lr * g[i] }
            return
        }
        if steps == 0 {
            v.update(from: g, count: count)
        } else {
            for i in 0..<count { v[i] = mu * v[i] + g[i] }
        }
        if nesterov {
            for i in 0..<count { w[i] -= lr * (g[i] + mu * v[i]) }
        } else {
            for i in 0..<count { w[i] -= lr * v[i] }
        }
    }

    /// Adam and AdamW in `torch.optim.Adam`'s order of operations (`m.lerp_(g, 1 − β₁)`,
    /// `v.mul_(β₂).addcmul_(g, g, 1 − β₂)`, `w.addcdiv_(m, √v / √(1 − β₂ᵗ) + eps, −lr/(1 − β₁ᵗ))`), but for
    /// one thing: √v is multiplied by 1/√(1 − β₂ᵗ) instead of divided by √(1 − β₂ᵗ), a rounding apart,
    /// which saves a division a parameter (the element-wise pass is in C: `sweep_adam_update`).
    private func adamUpdate(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int) {
        let decoupled = kind == .adamw
        // AdamW's decay is applied to the weights before the step (torch's `param.mul_(1 - lr * wd)`).
        let shrink = decoupled ? 1 - learningRate * weightDecay : 1
        if l1 != 0 || (!decoupled && weightDecay != 0) {
            addPenaltyGradient(to: g, weights: w, count: count, weightDecay: decoupled ? 0 : weightDecay)
        }
        let t = Double(steps + 1)
        let (beta1, beta2) = Optimizer.adamBetas
        let stepSize = Float(Double(learningRate) / (1 - pow(beta1, t)))
        let inverseCorrection = Float(1 / (1 - pow(beta2, t)).squareRoot())
        sweep_adam_update(w, g, state[0].baseAddress!, state[1].baseAddress!, count, Float(1 - beta1), Float(beta2),
                          Float(1 - beta2), stepSize, inverseCorrection, Optimizer.adamEpsilon, shrink)
    }

    /// RMSprop in `torch.optim.RMSprop`'s order of operations (the element-wise pass is in C:
    /// `sweep_rmsprop_update`). Its coefficients are torch's: `value=1 - alpha` is computed from the
    /// Python float and rounded to float32 once (0.01f), where 1 − Float(0.99) would be 9.5e-7 smaller
    /// and so every step 4.8e-7 larger than torch's (Adam's 1 − β₂ likewise, 1.3e-5).
    private func rmspropUpdate(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>, count: Int) {
        if l1 != 0 || weightDecay != 0 { addPenaltyGradient(to: g, weights: w, count: count, weightDecay: weightDecay) }
        let average = centered ? state[1].baseAddress! : nil
        let buffer = momentum > 0 ? state[centered ? 2 : 1].baseAddress! : nil
        let alpha = Optimizer.rmspropAlpha
        sweep_rmsprop_update(w, g, state[0].baseAddress!, average, buffer, count, Float(alpha), Float(1 - alpha),
                             Optimizer.rmspropEpsilon, learningRate, momentum)
    }

    /// `g += wd·w + l1·sign(w)`: the gradient of `penalty` (AdamW's decay is not in it: it is applied
    /// to the weights directly).
    private func addPenaltyGradient(to g: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>,
                                    count: Int, weightDecay wd: Float? = nil) {
        let wd = wd ?? (kind == .adamw ? 0 : weightDecay), l1 = l1
        for i in 0..<count {
            let sign: Float = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0)
            g[i] += wd * w[i] + l1 * sign
        }
    }

    /// The regularisation this optimiser adds to the objective: `weight_decay/2·Σw² + l1·Σ|w|`
    /// over every parameter (biases too, as `torch.optim.SGD(model.parameters())` decays them);
    /// AdamW's decoupled decay is not part of the objective.
    public func penalty(_ model: MLP) -> Double {
        let wd = kind == .adamw ? 0 : Double(weightDecay)
        return model.parameters.reduce(0.0) { total, w in
            total + wd / 2 * Double(w) * Double(w) + Double(l1) * Double(abs(w))
        }
    }

    /// The gradient of mean loss plus `penalty` for `model`'s last training forward pass, without
    /// updating anything: what a step descends along (before momentum).
    public func objectiveGradient(_ model: MLP, rows: Int) -> [Float] {
        var g = [Float](repeating: 0, count: model.parameterCount)
        g.withUnsafeMutableBufferPointer { g in
            model.backward(rows: rows, into: g.baseAddress!, alpha: 1, beta: 0)
            addPenaltyGradient(to: g.baseAddress!, weights: model.parameters.baseAddress!, count: model.parameterCount)
        }
        return g
    }

    /// Rescales each hidden unit's incoming weight vector to an L2 norm of at most `maxNorm`.
    private func applyMaxNorm(_ model: MLP) {
        for l in 0..<(model.layerCount - 1) {
            let (inputs, outputs) = (model.layerSizes[l], model.layerSizes[l + 1])
            let weights = model.weights(l)
            for unit in 0..<outputs {
                let row = weights + unit * inputs
                var squares: Float = 0
                for i in 0..<inputs { squares += row[i] * row[i] }
                let norm = squares.squareRoot()
                if norm > maxNorm {
                    let factor = maxNorm / norm
                    for i in 0..<inputs { row[i] *= factor }
                }
            }
        }
    }
}
