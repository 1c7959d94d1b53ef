import Sweeping
import Training
import Yams

extension SweepSpec {
    /// The keys of `method: pbt`, Ray Tune's `PopulationBasedTraining`'s names (its `num_samples` is
    /// `population_size`; its interval is in epochs here).
    static let populationKeys = ["population_size", "perturbation_interval", "quantile_fraction", "resample_probability",
                                 "perturbation_factors"]

    /// `method: pbt`'s rule from the file's keys, each mistake recorded in `problems`; nil when one was
    /// wrong. `population_size` and `perturbation_interval` are required; the rest default as in Ray.
    static func readPopulation(_ top: Node.Mapping, root: Node, randomSeed: UInt64, reader: NodeReader,
                               problems: inout Problems) -> PopulationRule? {
        func required(_ key: String, range: ClosedRange<Int>, why: String) -> Int? {
            guard let node = top[key] else {
                problems.record(reader.error(top["method"] ?? root, key: key, "method: pbt needs \(key), \(why)"))
                return nil
            }
            return problems.attempt { () throws(SpecError) in try reader.integer(node, key: key, range: range) }
        }
        func fraction(_ key: String, upTo high: Double, fallback: Double) -> Double? {
            guard let node = top[key] else { return fallback }
            return problems.attempt { () throws(SpecError) in
                let value = try reader.number(node, key: key)
                guard value >= 0, value <= high else {
                    throw reader.error(node, key: key, "must be from 0 to \(high), got \(reader.describe(node))")
                }
                return value
            }
        }
        let size = required("population_size", range: 2...10_000, why: "the members trained side by side (2 or more)")
        let interval = required("perturbation_interval", range: 1...EarlyTermination.maximumEpoch,
                                why: "the epochs between two boundaries where the worse members copy the better")
        let quantile = fraction("quantile_fraction", upTo: 0.5, fallback: 0.25)
        let resample = fraction("resample_probability", upTo: 1, fallback: 0.25)
        var factors: [Double]? = [1.2, 0.8]
        if let node = top["perturbation_factors"] {
            factors = problems.attempt { () throws(SpecError) in
                guard case .sequence(let items) = node, (1...16).contains(items.count) else {
                    throw reader.error(node, key: "perturbation_factors", "must be a list of 1 to 16 numbers, such as [1.2, 0.8]; "
                                       + "got \(reader.describe(node))")
                }
                var values: [Double] = []
                for item in items {
                    let value = try reader.number(item, key: "perturbation_factors")
                    guard value.isFinite, value > 0 else {
                        throw reader.error(item, key: "perturbation_factors", "must be numbers above 0, got \(reader.describe(item))")
                    }
                    values.append(value)
                }
                return values
            }
        }
        guard let size, let interval, let quantile, let resample, let factors else { return nil }
        return PopulationRule(populationSize: size, perturbationInterval: interval, quantileFraction: quantile,
                              resampleProbability: resample, perturbationFactors: factors, seed: randomSeed)
    }

    /// What `method: pbt` cannot run with, each recorded in `problems`: a program (it would have to save
    /// and load its own weights when told), early termination, `enqueue:` and `warm_start:` (positions
    /// are members and generations), `epoch_budget` (the population is the budget), an `epochs` that
    /// varies or is not longer than the interval.
    static func checkPopulation(_ rule: PopulationRule?, parameters: [Parameter], top: Node.Mapping, reader: NodeReader,
                                problems: inout Problems) {
        for (key, why) in [("early_terminate", "pbt stops no member: the worse copy the better at each boundary instead"),
                           ("enqueue", "pbt's trials are its members' stretches, so none can be queued first"),
                           ("warm_start", "pbt learns nothing from earlier folders; its members start from their draws"),
                           ("epoch_budget", "pbt's budget is population_size × epochs")] {
            if let node = top[key] { problems.record(reader.error(node, key: key, "cannot be used with method: pbt: \(why)")) }
        }
        guard let epochs = parameters.first(where: { $0.name == Hyperparameter.epochs.rawValue }) else {
            if let rule, rule.perturbationInterval >= TrainingConfig().epochs {
                problems.record(reader.error(top["perturbation_interval"]!, key: "perturbation_interval",
                                             "\(rule.perturbationInterval) is not shorter than the run (epochs \(TrainingConfig().epochs)): "
                                             + "no member would ever copy another"))
            }
            return
        }
        guard case .values(let choices, _) = epochs.domain, choices.count == 1, case .int(let length) = choices[0].value else {
            problems.record(SpecError(file: reader.file, line: epochs.line, key: "parameters.epochs",
                                      "is every member's whole run with method: pbt; give one value"))
            return
        }
        if let rule, rule.perturbationInterval >= length {
            problems.record(reader.error(top["perturbation_interval"]!, key: "perturbation_interval",
                                         "\(rule.perturbationInterval) is not shorter than the run (epochs \(length)): "
                                         + "no member would ever copy another"))
        }
    }
}
