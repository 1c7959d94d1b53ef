/// Stochastic gradient descent with exactly `torch.optim.SGD`'s semantics (dampening 0):
/// `g = ∇ + weight_decay·w`, `v = g` on the first step and `μ·v + g` after, `d = nesterov ? g + μ·v : v`,
/// `w -= lr·d`; plus an optional L1 subgradient `l1·sign(w)` in `g` and a max-norm constraint.
///
/// Where the algebra allows, the update is folded into the gradient GEMMs so that no separate
/// pass over the parameters is needed: plain SGD writes `w ← (1 − lr·wd)·w − lr·∇` straight into
/// the weights, and heavy-ball momentum accumulates `v ← μ·v + ∇` in the GEMM.
public final class SGD {
    /// The hyperparameters, as Floats.
    public let learningRate: Float, momentum: Float, weightDecay: Float, l1: Float, maxNorm: Float
    /// Nesterov momentum.
    public let nesterov: Bool
    /// Steps taken so far.
    public private(set) var steps = 0

    private let velocity: UnsafeMutableBufferPointer<Float>?
    private let gradient: UnsafeMutableBufferPointer<Float>?

    /// How a step combines gradient and update.
    private enum Mode { case fused, heavyBall, general }
    private let mode: Mode

    /// An optimiser for `model` configured by `config`.
    public init(for model: MLP, config: TrainingConfig) {
        learningRate = Float(config.learningRate)
        momentum = Float(config.momentum)
        weightDecay = Float(config.weightDecay)
        l1 = Float(config.l1)
        maxNorm = Float(config.maxNorm)
        nesterov = config.nesterov
        if l1 == 0 && !nesterov {
            mode = momentum == 0 ? .fused : .heavyBall
        } else {
            mode = .general
        }
        velocity = momentum == 0 ? nil : .allocate(capacity: model.parameterCount)
        gradient = mode == .general ? .allocate(capacity: model.parameterCount) : nil
        velocity?.initialize(repeating: 0)
        gradient?.initialize(repeating: 0)
    }

    deinit {
        velocity?.deallocate()
        gradient?.deallocate()
    }

    /// The momentum buffer's contents (nil without momentum), for a checkpoint.
    public var velocityValues: [Float]? { velocity.map(Array.init) }

    /// Continues from a checkpoint: `steps` taken, with this momentum buffer (ignored without momentum).
    public func restore(steps: Int, velocity values: [Float]?) {
        self.steps = steps
        if let velocity, let values, values.count == velocity.count {
            _ = velocity.update(from: values)
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
            let v = velocity!.baseAddress!
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
        }
        steps += 1
        if maxNorm > 0 { applyMaxNorm(model) }
    }

    /// The textbook update with every option, for Nesterov and L1.
    private func generalUpdate(_ w: UnsafeMutablePointer<Float>, gradient g: UnsafeMutablePointer<Float>,
                               count: Int) {
        let lr = learningRate, mu = momentum
        addPenaltyGradient(to: g, weights: w, count: count)
        guard let v = velocity?.baseAddress else {
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

    /// `g += weight_decay·w + l1·sign(w)`: the gradient of `penalty`.
    private func addPenaltyGradient(to g: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>,
                                    count: Int) {
        let wd = weightDecay, l1 = l1
        for i in 0..<count {
            let sign: Float = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0)
            g[i] += wd * w[i] + l1 * sign
        }
    }

    /// The regularisation this optimiser adds to the objective: `weight_decay/2·Σw² + l1·Σ|w|`
    /// over every parameter (biases too, as `torch.optim.SGD(model.parameters())` decays them).
    public func penalty(_ model: MLP) -> Double {
        model.parameters.reduce(0.0) { total, w in
            total + Double(weightDecay) / 2 * Double(w) * Double(w) + Double(l1) * Double(abs(w))
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
