/// Which `torch.optim` update rule trains the network (`Optimizer` runs each exactly as PyTorch does).
public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    /// `torch.optim.SGD`: momentum, Nesterov and L2 weight decay as `momentum`, `nesterov`, `weight_decay`.
    case sgd
    /// `torch.optim.Adam`: betas (0.9, 0.999), eps 1e-8, `weight_decay` added to the gradient (L2).
    case adam
    /// `torch.optim.AdamW`: as Adam, but `weight_decay` shrinks the weights directly (decoupled).
    case adamw
    /// `torch.optim.RMSprop`: alpha 0.99, eps 1e-8, with `momentum` and `centered`.
    case rmsprop
}
