// What a row of the hyperparameter table (Hyperparameter.swift) is made of, and what is derived from it.

extension Hyperparameter {
    /// What kind of value a hyperparameter takes.
    public enum Kind: Sendable, Equatable {
        /// A floating-point number.
        case real
        /// A whole number.
        case whole
        /// true or false.
        case flag
        /// One of `Augmentation`'s names.
        case augmentation
        /// One of `OptimizerKind`'s names.
        case optimizer
        /// A file's path.
        case path
        /// Hidden-layer widths, e.g. `128,128`.
        case widths
    }

    /// Its kind of value.
    public var kind: Kind { row.storage.kind }

    /// The numbers a real or whole hyperparameter may take (for `hidden`, each width); nil for the rest.
    public var bounds: Bounds? { row.bounds }

    /// Each hidden layer's width, wherever widths are read (sweep files, flags, CSV).
    public static let widthBounds = Bounds.closed(1, 65_536)

    /// Added after the first release: its column comes after the others in `trials.csv`, an empty
    /// cell (a row of an earlier release) reads as its default, and it is in a trial's id only when
    /// not at its default, so results recorded before it existed keep their ids.
    public var isAdded: Bool { row.release == .later }

    /// Whether "not set" is a value (the data limits: nil means all the data; no teacher).
    public var isOptional: Bool { row.storage.isOptional }

    /// The command-line flag, e.g. `--learning-rate`.
    public var flag: String { "--" + rawValue.replacingOccurrences(of: "_", with: "-") }

    /// What it means, for `--help` and the README.
    public var help: String { row.help }

    /// `help` with the allowed range, e.g. "Dropout probability after each hidden layer, in [0, 1)".
    public var helpWithRange: String {
        switch kind {
        case .real, .whole: return help + " (\(bounds!.requirement.dropFirst("must be ".count)))"
        case .widths: return help + " (each \(Hyperparameter.widthBounds.requirement.dropFirst("must be ".count)))"
        case .flag, .augmentation, .optimizer, .path: return help
        }
    }

    /// Hyperparameters added after the first release leave the trial id alone at their default, so
    /// that results recorded before they existed keep their ids; the original ones are always in it.
    /// The data limits are in it only when set.
    public var inCanonicalKeyAtDefault: Bool { !isOptional && !isAdded }

    /// Checks one value against this hyperparameter's kind and range.
    public func check(_ value: HyperparameterValue) throws(ConfigError) {
        if let requirement = problem(with: value) { throw ConfigError(self, value: value.description, requirement) }
    }

    /// What is wrong with `value` for this hyperparameter, or nil.
    func problem(with value: HyperparameterValue) -> String? {
        switch (kind, value) {
        case (_, .unset) where isOptional: return nil
        case (.real, .real(let x)):
            return bounds!.contains(x) ? nil : bounds!.requirement
        case (.whole, .whole(let n)):
            return bounds!.contains(Double(n)) ? nil : bounds!.requirement
        case (.flag, .flag), (.augmentation, .augmentation), (.optimizer, .optimizer): return nil
        case (.path, .text(let path)):
            return path.isEmpty || path.contains("\n") || path.utf8.count > 4096 ? "must name a file" : nil
        case (.widths, .widths(let widths)):
            if widths.isEmpty || !widths.allSatisfy({ Hyperparameter.widthBounds.contains(Double($0)) }) {
                return "must be a comma-separated list of widths, each \(Hyperparameter.widthBounds.requirement.dropFirst("must be ".count))"
            }
            return nil
        default:
            return "must be \(kind.article)"
        }
    }

    /// Reads a value written as `HyperparameterValue.description` (a CSV cell); nil if it is not one.
    public func parse(_ text: String) -> HyperparameterValue? {
        if isOptional && text.isEmpty { return .unset }
        if isAdded && text.isEmpty { return TrainingConfig()[self] }
        switch kind {
        case .real: return Double(text).map(HyperparameterValue.real)
        case .whole: return Int(text).map(HyperparameterValue.whole)
        case .flag: return text == "true" ? .flag(true) : text == "false" ? .flag(false) : nil
        case .augmentation: return Augmentation(rawValue: text).map(HyperparameterValue.augmentation)
        case .optimizer: return OptimizerKind(rawValue: text).map(HyperparameterValue.optimizer)
        case .path: return .text(text)
        case .widths: return HyperparameterValue.parseWidths(text).map(HyperparameterValue.widths)
        }
    }
}

extension Hyperparameter {
    /// Which release a hyperparameter came with. The first release's are always in a trial's id and
    /// their `trials.csv` columns come first; one added since (`.later`, the default) is in the id only
    /// away from its default and gets its column at the end, so the ids and files recorded before it
    /// existed stay valid. A new row marked `.firstRelease` changes every trial id recorded so far,
    /// which `TrialIDStabilityTests` catches.
    enum Release {
        case firstRelease, later
    }

    /// Where `TrainingConfig` keeps a hyperparameter, and so its kind: the key path's type is the
    /// stored property's, so a row whose kind does not match its property does not compile.
    enum Storage: Sendable {
        /// A key path with no captures, so one that can be shared (`rows` is made once).
        typealias Path<Value> = WritableKeyPath<TrainingConfig, Value> & Sendable
        case real(Path<Double>)
        case whole(Path<Int>)
        /// The seed: a whole number kept (and written in JSON) as `UInt64`.
        case seed(Path<UInt64>)
        /// A whole number that may be unset (the data limits; nil: all the data).
        case limit(Path<Int?>)
        case flag(Path<Bool>)
        case augmentation(Path<Augmentation>)
        case optimizer(Path<OptimizerKind>)
        /// A file's path that may be unset.
        case path(Path<String?>)
        case widths(Path<[Int]>)

        var kind: Kind {
            switch self {
            case .real: .real
            case .whole, .seed, .limit: .whole
            case .flag: .flag
            case .augmentation: .augmentation
            case .optimizer: .optimizer
            case .path: .path
            case .widths: .widths
            }
        }

        /// Whether the property is optional: unset is a value, absent from JSON and empty in CSV.
        var isOptional: Bool {
            switch self {
            case .limit, .path: true
            case .real, .whole, .seed, .flag, .augmentation, .optimizer, .widths: false
            }
        }
    }

    /// One row of the table (`Hyperparameter.row`): everything about a hyperparameter but its name.
    /// A number's row must give its bounds; the others have none (widths: each in `widthBounds`).
    struct Row: Sendable {
        let storage: Storage
        let bounds: Bounds?
        let help: String
        let release: Release

        typealias Property<Value> = Storage.Path<Value>

        static func real(_ path: Property<Double>, _ bounds: Bounds, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .real(path), bounds: bounds, help: help, release: release)
        }
        static func whole(_ path: Property<Int>, _ bounds: Bounds, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .whole(path), bounds: bounds, help: help, release: release)
        }
        static func seed(_ path: Property<UInt64>, _ bounds: Bounds, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .seed(path), bounds: bounds, help: help, release: release)
        }
        static func limit(_ path: Property<Int?>, _ bounds: Bounds, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .limit(path), bounds: bounds, help: help, release: release)
        }
        static func flag(_ path: Property<Bool>, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .flag(path), bounds: nil, help: help, release: release)
        }
        static func augmentation(_ path: Property<Augmentation>, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .augmentation(path), bounds: nil, help: help, release: release)
        }
        static func optimizer(_ path: Property<OptimizerKind>, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .optimizer(path), bounds: nil, help: help, release: release)
        }
        static func path(_ path: Property<String?>, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .path(path), bounds: nil, help: help, release: release)
        }
        static func widths(_ path: Property<[Int]>, since release: Release = .later, _ help: String) -> Row {
            Row(storage: .widths(path), bounds: Hyperparameter.widthBounds, help: help, release: release)
        }
    }
}

extension Hyperparameter.Kind {
    /// "a number", "a whole number", …: what a value of this kind is, for messages.
    public var article: String {
        switch self {
        case .real: return "a number"
        case .whole: return "a whole number"
        case .flag: return "true or false"
        case .augmentation: return "one of " + Augmentation.allCases.map(\.rawValue).joined(separator: ", ")
        case .optimizer: return "one of " + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", ")
        case .path: return "a file's path"
        case .widths: return "layer widths such as \"128,128\""
        }
    }
}
