/// Names of the independent random streams a training run's seed feeds.
enum RandomStream: UInt64 {
    case initialisation = 1
    case shuffle = 2
    case augmentation = 3
    case dropout = 4
}
