import Foundation
import SystemCalls
import Training
import Yams
import Sweeping
import SweepCore

// Reading a sweep file into a `SweepSpec`: the YAML, every key's rule, the parameters by their
// runner's reader, and the checks between them. Everything that parses lives in this target, so
// what decides (`Scheduling`) never links the YAML parser or the file system.

extension SweepSpec {
    /// The deepest nesting read: sweep files nest three or four levels; this keeps the YAML composer's
    /// recursion far from the stack's end whatever a file holds.
    static let maximumNesting = 64

    /// What happens to each top-level key W&B defines.
    enum KeyRule {
        /// Read and used.
        case used
        /// Accepted; has no effect here, and a warning says so.
        case noEffect(String)
        /// Refused in one line that says why.
        case refused(String)
    }

    static let keyRules: [(key: String, rule: KeyRule)] = [
        ("name", .used), ("description", .used), ("method", .used), ("metric", .used), ("run_cap", .used),
        ("random_seed", .used), ("parameters", .used), ("early_terminate", .used), ("parallelism", .used),
        ("epoch_budget", .used), ("checkpoint_every", .used), ("keep_models", .used),
        ("entity", .noEffect("W&B's entity: sweep records results locally, so it has no effect")),
        ("project", .noEffect("W&B's project: sweep records results locally, so it has no effect")),
        ("controller", .noEffect("sweep is always its own (local) controller, so it has no effect")),
        ("apiVersion", .noEffect("has no effect")),
        ("kind", .noEffect("has no effect")),
        ("program", .used), ("command", .used), ("max_seconds", .used), ("stop_grace_seconds", .used),
        ("job", .refused("W&B Launch jobs are not supported; sweep runs its own workers")),
        ("image_uri", .refused("W&B Launch images are not supported; sweep runs its own workers")),
        ("scheduler", .refused("W&B Launch schedulers (method: custom) are not supported")),
        ("metrics", .used), ("metric_constraints", .used), ("warm_start", .used), ("enqueue", .used),
    ] + populationKeys.map { ($0, KeyRule.used) }

    /// Parses and validates a sweep file's text; every error names the key and line. Reading goes on
    /// after a mistake, so the error thrown holds every mistake the file has (`SpecError.also`), each
    /// once: a check that needs a value that was itself wrong is left out rather than reported again.
    public init(yaml: String, file: String, checkFiles: Bool = true) throws(SpecError) {
        self.init(text: yaml, file: file)
        guard yaml.utf8.count <= SweepSpec.maximumFileSize else {
            throw SpecError(file: file, line: nil, key: nil,
                            "is \(yaml.utf8.count) bytes; a sweep file may have at most \(SweepSpec.maximumFileSize)")
        }
        if let line = NestingScan.firstLineDeeperThan(SweepSpec.maximumNesting, in: yaml) {
            throw SpecError(file: file, line: line, key: nil,
                            "nests deeper than \(SweepSpec.maximumNesting) levels; a sweep file needs a few")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw SpecError(file: file, line: nil, key: nil, "the file is empty; a sweep needs at least 'parameters'")
            }
            root = node
        } catch let error as SpecError {
            throw error
        } catch let error as YamlError {
            throw SpecError.fromYams(error, file: file)
        } catch {
            throw SpecError(file: file, line: nil, key: nil, "not valid YAML: \(error)")
        }
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, key: nil)
        var problems = Problems()
        var warnings: [String] = []
        // Keys a misspelt key was probably meant to be: that they are missing is not a second mistake.
        var meant = Set<String>()
        for (keyNode, _) in top {
            let key = keyNode.string ?? ""
            guard let rule = SweepSpec.keyRules.first(where: { $0.key == key })?.rule else {
                let keys = SweepSpec.keyRules.map(\.key)
                let close = Suggestion.closest(to: key, in: keys)
                meant.formUnion(close)
                let message: String
                if Hyperparameter(rawValue: key) != nil {
                    message = "unknown key ('\(key)' belongs under 'parameters'); expected one of " + keys.joined(separator: ", ")
                } else if let hint = Suggestion.didYouMean(close) {
                    message = "unknown key; \(hint)"
                } else {
                    message = "unknown key; expected one of " + keys.joined(separator: ", ")
                }
                problems.record(reader.error(keyNode, key: key, message))
                continue
            }
            switch rule {
            case .used: break
            case .noEffect(let why): warnings.append(reader.error(keyNode, key: key, why).description)
            case .refused(let why): problems.record(reader.error(keyNode, key: key, why))
            }
        }
        // Top-level keys given but not read: what needs them is not checked (its mistake is reported).
        var failed = Set<String>()
        func read<T>(_ key: String, _ body: (Node) throws(SpecError) -> T) -> T? {
            guard let node = top[key] else { return nil }
            guard let value = problems.attempt({ () throws(SpecError) -> T in try body(node) }) else {
                failed.insert(key)
                return nil
            }
            return value
        }
        func given(_ key: String) -> Bool { top[key] != nil || meant.contains(key) }

        let defaultName = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        name = read("name") { (node) throws(SpecError) in try reader.string(node, key: "name") } ?? defaultName
        if !failed.contains("name"), name.isEmpty || name.count > 200 || name.first == "."
            || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            problems.record(reader.error(top["name"] ?? root, key: "name",
                                         "'\(name.prefix(60))' cannot name a results directory; use up to 200 letters, digits, '.', '_' and '-'"))
        }
        description = read("description") { (node) throws(SpecError) in try reader.string(node, key: "description") }

        var method = Method.grid
        if let text = read("method", { (node) throws(SpecError) in try reader.string(node, key: "method") }) {
            if let known = Method(rawValue: text) {
                method = known
            } else {
                let hint = Suggestion.didYouMean(text, in: ["grid", "random", "bayes", "pbt"]).map { "; \($0)" } ?? ""
                problems.record(reader.error(top["method"]!, key: "method",
                                             "'\(text.prefix(40))' is not supported\(hint.isEmpty ? "; use grid, random, bayes or pbt" : hint)"))
                failed.insert("method")
            }
        }
        self.method = method
        // With the method unknown, parameters are read as random search reads them (the loosest:
        // no grid's limits) and what depends on the method is not checked.
        let methodKnown = !failed.contains("method")
        let readAs = methodKnown ? method : .random

        // The one choice of runner: a sweep with `program:` or `command:` runs a program.
        let runner: RunnerKind = top["program"] != nil || top["command"] != nil ? .program : .trainer
        let single = read("metric") { (node) throws(SpecError) in
            try Metric(node, reader: reader, anyName: runner.metricMayHaveAnyName, warnings: &warnings)
        }
        let several = read("metrics") { (node) throws(SpecError) in
            try SweepSpec.readObjectives(node, reader: reader, anyName: runner.metricMayHaveAnyName, warnings: &warnings)
        }
        if let node = top["metrics"], top["metric"] != nil {
            problems.record(reader.error(node, key: "metrics", "and metric are both given; use metric: for one objective "
                                         + "or metrics: for several, not both"))
        }
        let constraints = read("metric_constraints") { (node) throws(SpecError) in
            try SweepSpec.readConstraints(node, reader: reader, anyName: runner.metricMayHaveAnyName)
        } ?? []
        objectives = Objectives(metrics: several ?? [single ?? Metric()], constraints: constraints)
        warmStart = read("warm_start") { (node) throws(SpecError) in
            try SweepSpec.readWarmStart(node, reader: reader, checkFiles: checkFiles)
        } ?? []

        runCap = read("run_cap") { (node) throws(SpecError) in try reader.integer(node, key: "run_cap", range: 1...Int.max) }
        randomSeed = read("random_seed") { (node) throws(SpecError) in
            UInt64(try reader.integer(node, key: "random_seed", range: 0...Int.max))
        } ?? 0
        // W&B runs a random or bayes sweep until it is stopped; the built-in trainer's sweeps are bounded
        // so that a run ends and ranks (a program sweep, like W&B's, may be unbounded).
        if methodKnown && method != .grid && method != .pbt && runCap == nil && runner.drawsNeedRunCap && !given("run_cap") {
            problems.record(reader.error(top["method"]!, key: "run_cap", "\(method == .random ? "random search" : "bayes") needs run_cap, "
                                         + "the number of trials to draw"))
        }
        parallelism = read("parallelism") { (node) throws(SpecError) in
            try reader.integer(node, key: "parallelism", range: 1...10_000)
        } ?? SweepSpec.defaultParallelism
        if let node = top["parallelism"], methodKnown, method != .bayes {
            warnings.append(reader.error(node, key: "parallelism", "applies to method: bayes only, so it has no effect here").description)
        }
        epochBudget = read("epoch_budget") { (node) throws(SpecError) in
            try reader.integer(node, key: "epoch_budget", range: 1...Int.max)
        }
        checkpointEvery = read("checkpoint_every") { (node) throws(SpecError) in
            let seconds = try reader.number(node, key: "checkpoint_every")
            guard seconds >= 0, seconds <= SweepSpec.longestCheckpointInterval else {
                throw reader.error(node, key: "checkpoint_every",
                                   "must be from 0 (off) to \(Int(SweepSpec.longestCheckpointInterval)) seconds, got \(reader.describe(node))")
            }
            return seconds
        } ?? SweepSpec.defaultCheckpointInterval
        keepModels = read("keep_models") { (node) throws(SpecError) in
            try reader.integer(node, key: "keep_models", range: 0...SweepSpec.mostKeptModels)
        } ?? SweepSpec.defaultKeptModels
        func seconds(_ key: String, lowest: Double) -> Double? {
            read(key) { (node) throws(SpecError) in
                let value = try reader.number(node, key: key)
                guard value >= lowest, value <= SweepSpec.longestProgramSeconds else {
                    throw reader.error(node, key: key, "must be from \(lowest == 0 ? "0" : "more than 0") to "
                                       + "\(Int(SweepSpec.longestProgramSeconds)) seconds, got \(reader.describe(node))")
                }
                return value
            }
        }
        maxSeconds = seconds("max_seconds", lowest: 0.001)
        stopGraceSeconds = seconds("stop_grace_seconds", lowest: 0) ?? ProgramJob.defaultStopGrace
        earlyTermination = read("early_terminate") { (node) throws(SpecError) in
            try EarlyTermination(node, reader: reader, warnings: &warnings)
        }
        if methodKnown && method == .pbt {
            population = SweepSpec.readPopulation(top, root: root, randomSeed: randomSeed, reader: reader, problems: &problems)
            if let node = top["run_cap"] {
                warnings.append(reader.error(node, key: "run_cap", "has no effect with method: pbt, which runs population_size × "
                                             + "⌈epochs / perturbation_interval⌉ stretches").description)
            }
            if let node = top["metrics"] {
                problems.record(reader.error(node, key: "metrics", "cannot be used with method: pbt, which ranks a population by one "
                                             + "metric; use metric:"))
            }
            if objectives.metrics[0].target != nil {
                problems.record(reader.error(top["metric"] ?? top["method"]!, key: "metric.target", "cannot be used with method: pbt: "
                                             + "every member trains its whole run"))
            }
            if runner == .program {
                problems.record(reader.error(top["method"]!, key: "method", "pbt runs the built-in trainer only: a program would have to "
                                             + "save and load its own weights when the sweep asks (see README, population-based training)"))
            }
        } else if methodKnown {
            for key in SweepSpec.populationKeys {
                if let node = top[key] { warnings.append(reader.error(node, key: key, "applies to method: pbt only, so it has no effect here").description) }
            }
        }
        SweepSpec.checkObjectives(objectives, earlyTermination: earlyTermination, top: top, reader: reader, problems: &problems,
                                  warnings: &warnings)
        /// The points `enqueue:` runs first, read once the space is known, each value by `value` (the
        /// runner's reader of listed values).
        func enqueued(_ space: TrialSpace,
                      value: (Node, Parameter, String) throws(SpecError) -> ParameterValue) throws(SpecError) -> TrialSpace {
            guard let node = top["enqueue"], method != .pbt else { return space }  // pbt refuses it (checkPopulation)
            var space = space
            space.enqueued = try SweepSpec.readEnqueue(node, space: space, reader: reader, value: value)
            return space
        }

        guard let parametersNode = top["parameters"] else {
            if !meant.contains("parameters") {
                problems.record(reader.error(root, key: "parameters", "missing; a sweep needs at least one parameter"))
            }
            throw SpecError.combining(problems.errors) ?? reader.error(root, key: "parameters", "missing")
        }
        if runner == .program {
            program = try SweepSpec.readProgram(top, root: root, parametersNode: parametersNode, method: readAs, file: file,
                                                checkFiles: checkFiles, runCap: runCap, randomSeed: randomSeed, metric: objectives.metrics[0],
                                                earlyTermination: earlyTermination, reader: reader, problems: &problems,
                                                warnings: &warnings)
            keepModels = 0  // a program keeps its own weights
            self.warnings = warnings
            space = try enqueued(TrialSpace(runner: runner, method: method, parameters: program?.parameters ?? [], randomSeed: randomSeed,
                                            runCap: runCap)) { (node, _, key) throws(SpecError) in
                try Parameter.value(node, key: key, reader: reader, depth: 0)
            }
            return
        }
        program = nil
        for key in ["max_seconds", "stop_grace_seconds"] {
            if let node = top[key] {
                warnings.append(reader.error(node, key: key, "applies to program sweeps only, so it has no effect here").description)
            }
        }
        var parameters: [Parameter] = []
        var unread = Set<String>()  // parameters with a mistake: checks between parameters leave them out
        let entries = problems.attempt { () throws(SpecError) in try reader.mapping(parametersNode, key: "parameters") }
        for (keyNode, valueNode) in entries ?? [:] {
            if let parameter = problems.attempt({ () throws(SpecError) in
                try Parameter(key: keyNode, value: valueNode, method: readAs, reader: reader)
            }) {
                parameters.append(parameter)
                if let warning = parameter.exponentWarning(file: file) { warnings.append(warning) }
            } else {
                unread.insert(keyNode.string ?? "")
            }
        }
        if entries?.isEmpty == true {
            problems.record(reader.error(parametersNode, key: "parameters", "is empty; give at least one parameter"))
        }
        if !unread.contains(Hyperparameter.momentum.rawValue) {
            _ = problems.attempt { () throws(SpecError) in try SweepSpec.checkNesterov(parameters, file: file) }
        }
        if checkFiles { _ = problems.attempt { () throws(SpecError) in try SweepSpec.checkTeachers(parameters, file: file) } }
        if methodKnown && method == .pbt && !unread.contains(Hyperparameter.epochs.rawValue) {
            SweepSpec.checkPopulation(population, parameters: parameters, top: top, reader: reader, problems: &problems)
        }
        // The enqueued points are checked against the space before the file's mistakes are thrown, so
        // theirs come with the rest (unless a parameter itself could not be read).
        var space = TrialSpace(runner: runner, method: method, parameters: parameters, randomSeed: randomSeed, runCap: runCap)
        let listedValue = { (node: Node, parameter: Parameter, key: String) throws(SpecError) -> ParameterValue in
            // Every parameter here is a hyperparameter: its reader accepted only those.
            guard let name = Hyperparameter(rawValue: parameter.name) else { throw reader.error(node, key: key, "is not a hyperparameter") }
            return try Parameter.read(node, as: name, key: key, reader: reader).parameterValue
        }
        if unread.isEmpty, entries != nil,
           let read = problems.attempt({ () throws(SpecError) in try enqueued(space, value: listedValue) }) { space = read }
        try problems.throwIfAny()
        self.warnings = warnings
        self.space = space
        if method == .grid && space.gridSize == nil && runCap == nil {
            let sizes = parameters.compactMap(\.gridCount).map(String.init).joined(separator: " × ")
            throw SpecError(file: file, line: parametersNode.mark?.line, key: "parameters",
                            "the grid has \(sizes) points, more than \(Int.max); add run_cap, or use method: random")
        }
    }

    /// A program sweep's `program`, `command` and parameters, each mistake recorded in `problems`
    /// (nil when there was one).
    private static func readProgram(_ top: Node.Mapping, root: Node, parametersNode: Node, method: Method, file: String,
                                    checkFiles: Bool, runCap: Int?, randomSeed: UInt64, metric: Metric,
                                    earlyTermination: EarlyTermination?, reader: NodeReader, problems: inout Problems,
                                    warnings: inout [String]) throws(SpecError) -> ProgramSpec {
        let readCommand = problems.attempt { () throws(SpecError) in try ProgramSpec.readCommand(top, root: root, reader: reader) }
        let reserved = RecordLayout.reservedNames(metric: metric.name)
        let parameters = problems.attempt { () throws(SpecError) in
            try Parameter.readProgram(parametersNode, prefix: [], method: method, reserved: reserved, reader: reader)
        }
        if let rule = earlyTermination, rule.type == "median", let node = top["early_terminate"] {
            problems.record(reader.error(node, key: "early_terminate.type", "median needs to know how many epochs a trial runs, "
                                         + "which a program does not say; use hyperband or asha"))
        }
        for parameter in parameters ?? [] {
            if let warning = parameter.exponentWarning(file: file) { warnings.append(warning) }
        }
        for key in ["checkpoint_every", "keep_models"] {
            if let node = top[key] {
                warnings.append(reader.error(node, key: key, "applies to the built-in trainer only, so it has no effect "
                                             + "on a program sweep").description)
            }
        }
        guard let given = readCommand, let parameters else {
            throw SpecError.combining(problems.errors) ?? reader.error(parametersNode, key: "parameters", "cannot be read")
        }
        let (programName, command) = given
        // Absolute, because trials run in this folder and the program's path must still hold there.
        let folder = (file as NSString).deletingLastPathComponent
        let directory = folder.hasPrefix("/") ? folder
            : ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(folder) as NSString).standardizingPath
        let program = ProgramSpec(program: programName, command: command, directory: directory, parameters: parameters)
        if checkFiles, let path = program.programPath, command.elements.contains("${program}") {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) || isDirectory.boolValue {
                problems.record(reader.error(top["program"]!, key: "program", "'\(programName!.prefix(200))' not found (looked for \(path); "
                                             + "a relative program is found next to the sweep file)"))
            }
        }
        if method == .grid && TrialSpace.gridSize(parameters.map(\.gridCount)) == nil && runCap == nil {
            let sizes = parameters.compactMap(\.gridCount).map(String.init).joined(separator: " × ")
            problems.record(SpecError(file: file, line: parametersNode.mark?.line, key: "parameters",
                                      "the grid has \(sizes) points, more than \(Int.max); add run_cap, or use method: random"))
        }
        try problems.throwIfAny()
        return program
    }

    /// Reads and parses the sweep file at `path`; `checkFiles` false skips looking for a program
    /// sweep's program and reading teacher models (the copy a results folder keeps is read for its
    /// parameters and metric only).
    public init(contentsOf path: String, checkFiles: Bool = true) throws(SpecError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            var error = SpecError(file: path, line: nil, key: nil, "is a directory; give a sweep file such as Sweeps/quickstart.yaml")
            error.unreadable = true
            throw error
        }
        let bytes: [UInt8]
        do {
            let descriptor = try FileDescriptor(path: path, flags: O_RDONLY)
            // A file far beyond the limit is refused by its size, without reading it.
            let size = try descriptor.size()
            guard size <= SweepSpec.maximumFileSize else {
                throw SpecError(file: path, line: nil, key: nil,
                                "is \(size) bytes; a sweep file may have at most \(SweepSpec.maximumFileSize)")
            }
            bytes = try descriptor.readAll()
        } catch let error as SystemError {
            // Missing, a directory, not permitted: nothing to read, so EX_NOINPUT rather than a mistake in it.
            var unreadable = SpecError(file: path, line: nil, key: nil, "cannot read the sweep file: " + String(cString: strerror(error.code)))
            unreadable.unreadable = true
            throw unreadable
        } catch let error as SpecError {
            throw error
        } catch {
            throw SpecError(file: path, line: nil, key: nil, "cannot read the sweep file: \(error)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SpecError(file: path, line: nil, key: nil, "the sweep file is not UTF-8 text")
        }
        try self.init(yaml: text, file: path, checkFiles: checkFiles)
    }

    /// Every teacher a sweep names must be a FashionMNIST model file, before any trial runs.
    private static func checkTeachers(_ parameters: [Parameter], file: String) throws(SpecError) {
        guard let teacher = parameters.first(where: { $0.name == Hyperparameter.teacher.rawValue }),
              case .values(let choices, _) = teacher.domain else { return }
        for choice in choices {
            guard case .string(let path) = choice.value else { continue }
            do {
                _ = try TeacherModel(path: path)
            } catch {
                throw SpecError(file: file, line: choice.line ?? teacher.line, key: "parameters.teacher", "\(path): \(error.requirement)")
            }
        }
    }

    /// `nesterov: true` needs a momentum above 0 in every trial: refused when momentum can be 0 (the
    /// one rule `TrainingConfig.validate` has between two hyperparameters).
    private static func checkNesterov(_ parameters: [Parameter], file: String) throws(SpecError) {
        guard let nesterov = parameters.first(where: { $0.name == Hyperparameter.nesterov.rawValue }),
              case .values(let choices, _) = nesterov.domain,
              let on = choices.first(where: { $0.value == .bool(true) }) else { return }
        let momentum = parameters.first { $0.name == Hyperparameter.momentum.rawValue }
        var zeroAt: String?
        switch momentum?.domain {
        case nil: zeroAt = "momentum is not swept, so it is 0"
        case .values(let choices, _)?:
            if let zero = choices.first(where: { (momentum?.number(of: $0.value) ?? 1) <= 0 }) {
                zeroAt = "momentum can be 0" + (zero.line.map { " (line \($0))" } ?? "")
            }
        case .distribution(let distribution)?:
            let support = distribution.support
            if support.low <= 0 && support.lowAttainable {
                zeroAt = "this \(distribution.name) momentum can be 0" + (momentum?.line.map { " (line \($0))" } ?? "")
            }
        }
        if let zeroAt {
            throw SpecError(file: file, line: on.line, key: "parameters.nesterov",
                            "true needs a momentum greater than 0, but \(zeroAt)")
        }
    }
}

extension SpecError {
    static func fromYams(_ error: YamlError, file: String) -> SpecError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return SpecError(file: file, line: mark.line, key: nil, "not valid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, _):
            return SpecError(file: file, line: nil, key: duplicates.first.map { "\($0.prefix(60))" }, "appears more than once in the same mapping")
        default:
            return SpecError(file: file, line: nil, key: nil, "not valid YAML: \(error)")
        }
    }
}
