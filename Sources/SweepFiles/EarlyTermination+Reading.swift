import Foundation
import Yams
import Sweeping
import SweepCore

extension EarlyTermination {
    static let keys: [String: [String]] = [
        "hyperband": ["type", "min_iter", "max_iter", "s", "eta", "strict"],
        "asha": ["type", "min_iter", "max_iter", "eta", "brackets", "bootstrap_count", "strict"],
        "median": ["type", "min_iter", "min_trials"],
    ]

    /// Reads `early_terminate:`; `warnings` gains a line for each key that has no effect here.
    init(_ node: Node, reader: NodeReader, warnings: inout [String]) throws(SpecError) {
        let mapping = try reader.mapping(node, key: "early_terminate")
        guard let typeNode = mapping["type"] else {
            throw reader.error(node, key: "early_terminate.type", "missing; use hyperband, asha or median")
        }
        self.init(type: try reader.string(typeNode, key: "early_terminate.type"))
        guard let allowed = EarlyTermination.keys[type] else {
            throw reader.error(typeNode, key: "early_terminate.type", "'\(type.prefix(40))' is not supported; "
                               + (Suggestion.didYouMean(type, in: ["hyperband", "asha", "median"]) ?? "use hyperband, asha or median"))
        }
        var strays: [String] = []
        var problems = Problems()
        for (keyNode, _) in mapping where !allowed.contains(keyNode.string ?? "") {
            let key = keyNode.string ?? ""
            let takes = "it takes \(allowed.dropFirst().joined(separator: ", "))"
            let hint = Suggestion.didYouMean(key, in: Array(allowed.dropFirst())).map { "; \($0)" } ?? ""
            // W&B's hyperband drops the keys it does not define before it validates the rest, "to maintain
            // compatibility", so such a file runs there; asha and median are ours, and strict.
            guard type == "hyperband" else {
                problems.record(reader.error(keyNode, key: "early_terminate.\(key)", "does not belong to type \(type) (\(takes))\(hint)"))
                continue
            }
            strays.append(String(key.prefix(40)))
            warnings.append(reader.error(keyNode, key: "early_terminate.\(key)",
                                         "is not a hyperband key (\(takes)), so it has no effect, as in W&B\(hint)").description)
        }
        try problems.throwIfAny()
        let limit = EarlyTermination.maximumEpoch
        // Hyperband's iterations are W&B's: any whole number from 1 (bands past `maximumEpoch` are never reached).
        let most = type == "hyperband" ? Int.max : limit
        func whole(_ key: String) throws(SpecError) -> Int? {
            try mapping[key].map { (node: Node) throws(SpecError) in try reader.integer(node, key: "early_terminate.\(key)", range: 1...most) }
        }
        eta = try mapping["eta"].map { (node: Node) throws(SpecError) in try reader.number(node, key: "early_terminate.eta") } ?? 3
        guard eta > 1 else {
            throw reader.error(mapping["eta"]!, key: "early_terminate.eta", "must be greater than 1, got \(eta)")
        }
        let minIter = try whole("min_iter")
        let maxIter = try whole("max_iter")
        // W&B's `strict` (default true): judge a trial by its metric at the rung, not its best so far.
        var strict = true
        if let strictNode = mapping["strict"] {
            switch try reader.string(strictNode, key: "early_terminate.strict").lowercased() {
            case "true", "yes", "on": strict = true
            case "false", "no", "off": strict = false
            case let other: throw reader.error(strictNode, key: "early_terminate.strict", "must be true or false, got '\(other.prefix(40))'")
            }
        }
        switch type {
        case "hyperband":
            rule = .hyperband(strict: strict)
            rungs = try EarlyTermination.hyperbandBands(mapping, node: node, minIter: minIter, maxIter: maxIter, eta: eta,
                                                        strays: strays, reader: reader, warnings: &warnings)
        case "asha":
            let bootstrap = try mapping["bootstrap_count"].map { (node: Node) throws(SpecError) in
                try reader.integer(node, key: "early_terminate.bootstrap_count", range: 0...1_000_000)
            } ?? 0
            rule = .asha(bootstrapCount: bootstrap, strict: strict)
            let first = minIter ?? 1
            let top = maxIter ?? limit
            var rung = Double(first)
            var rungs: [Int] = []
            while rung < Double(top) {
                rungs.append(Int(rung))
                rung *= eta
            }
            self.rungs = Array(Set(rungs)).sorted()
            guard !self.rungs.isEmpty else {
                throw reader.error(mapping["max_iter"] ?? node, key: "early_terminate.max_iter",
                                   "must be greater than min_iter (\(first)), got \(top)")
            }
            if let bracketsNode = mapping["brackets"] {
                brackets = try reader.integer(bracketsNode, key: "early_terminate.brackets", range: 1...100)
                // Ray makes a bracket per requested one; a bracket without a rung would never stop anything.
                guard brackets <= self.rungs.count else {
                    throw reader.error(bracketsNode, key: "early_terminate.brackets",
                                       "at most \(self.rungs.count) here (one per rung: \(self.rungs.map(String.init).joined(separator: ", "))), got \(brackets)")
                }
            }
        default:  // median
            let minTrials = try mapping["min_trials"].map { (node: Node) throws(SpecError) in
                try reader.integer(node, key: "early_terminate.min_trials", range: 1...1_000_000)
            } ?? 5
            rule = .median(minTrials: minTrials)
            everyEpochFrom = minIter ?? 1
        }
    }

    /// The most bands the max_iter form computes: W&B divides max_iter by eta s times, which with eta a hair
    /// above 1 and a huge s would not end; ten million steps cover any s with max_iter up to
    /// 100,000 once eta is 1.000002 or more.
    static let mostHyperbandSteps = 10_000_000

    /// W&B's hyperband bands (`hyperband_stopping.py`) up to `maximumEpoch`: with max_iter (which W&B reads
    /// first), int(max_iter / etaⁱ) for i = 1…s while at least 1; else int(min_iter · etaⁱ) for i = 0…99,
    /// W&B's hundred bands. A key W&B reads and then does not use gets a warning.
    static func hyperbandBands(_ mapping: Node.Mapping, node: Node, minIter: Int?, maxIter: Int?, eta: Double,
                                       strays: [String], reader: NodeReader, warnings: inout [String]) throws(SpecError) -> [Int] {
        let limit = Double(maximumEpoch)
        var bands = Set<Int>()
        if let maxIter {
            guard let sNode = mapping["s"] else {
                throw reader.error(mapping["max_iter"]!, key: "early_terminate.s", "max_iter needs s, the number of bands below it"
                                   + (minIter == nil ? "" : " (W&B reads max_iter before min_iter, and fails without s)"))
            }
            let s = try reader.integer(sNode, key: "early_terminate.s", range: 1...Int.max)
            if let minNode = mapping["min_iter"] {
                warnings.append(reader.error(minNode, key: "early_terminate.min_iter", "has no effect beside max_iter and s: "
                                             + "the bands come from max_iter, s and eta, as in W&B").description)
            }
            var band = Double(maxIter)
            var steps = 0
            var last = 0
            while steps < s {
                band /= eta
                if band < 1 { break }
                if band <= limit && Int(band) != last {
                    last = Int(band)
                    bands.insert(last)
                }
                steps += 1
                if steps == mostHyperbandSteps && steps < s && band / eta >= 1 {
                    throw reader.error(sNode, key: "early_terminate.s", "with eta \(eta) gives more than \(mostHyperbandSteps) bands "
                                       + "below max_iter; raise eta or lower s")
                }
            }
            guard steps > 0 else {
                throw reader.error(node, key: "early_terminate", "these settings give no band of at least one epoch "
                                   + "(max_iter / eta is \(Double(maxIter) / eta)); raise max_iter or lower eta")
            }
        } else if let minIter {
            if let sNode = mapping["s"] {
                // W&B checks that s is a number, then builds the bands from min_iter and eta alone; files carry both.
                _ = try reader.number(sNode, key: "early_terminate.s")
                warnings.append(reader.error(sNode, key: "early_terminate.s", "has no effect beside min_iter: the bands come from "
                                             + "min_iter and eta, as in W&B (s counts the bands below max_iter)").description)
            }
            var band = Double(minIter)
            for _ in 0..<100 {
                if band <= limit { bands.insert(Int(band)) }
                band *= eta
            }
        } else {
            let meant = strays.flatMap { Suggestion.closest(to: $0, in: ["min_iter", "max_iter"]) }
            let hint = strays.isEmpty ? "" : " (\(strays.joined(separator: ", ")) \(strays.count == 1 ? "is not a hyperband key" : "are not hyperband keys")"
                + (Suggestion.didYouMean(meant).map { "; \($0)" } ?? "") + ")"
            throw reader.error(node, key: "early_terminate", "hyperband needs min_iter, or max_iter with s" + hint)
        }
        return bands.sorted()
    }
}
