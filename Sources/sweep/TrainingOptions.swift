import ArgumentParser
import Training

extension Augmentation: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}

/// The flags that make a `TrainingConfig`: names, help and ranges come from `Hyperparameter` (the
/// one description of each hyperparameter). ArgumentParser lists in `--help`, completes and checks only
/// options it has seen declared, so each is declared here once, as a property named after its case;
/// `config` finds them by that name, and the round trip of every hyperparameter through its flag
/// (HyperparameterRoundTripTests.swift) fails while one is missing or misnamed.
///
/// Numeric options parse `.unconditional`ly so that `--lr -1` reaches validation and gets
/// "must be greater than 0" rather than the parser's "missing value".
struct TrainingOptions: ParsableArguments {
    private static func name(_ parameter: Hyperparameter) -> NameSpecification { [long(parameter)] }
    private static func long(_ parameter: Hyperparameter) -> NameSpecification.Element {
        .customLong(String(parameter.flag.dropFirst(2)))
    }
    private static func help(_ parameter: Hyperparameter) -> ArgumentHelp { ArgumentHelp(parameter.helpWithRange + ".") }

    @Option(name: [long(.learningRate), .customLong("lr")], parsing: .unconditional, help: help(.learningRate))
    var learningRate = TrainingConfig().learningRate

    @Option(name: name(.optimizer), help: help(.optimizer))
    var optimizer = TrainingConfig().optimizer

    @Option(name: name(.momentum), parsing: .unconditional, help: help(.momentum))
    var momentum = TrainingConfig().momentum

    @Flag(name: name(.nesterov), help: help(.nesterov))
    var nesterov = TrainingConfig().nesterov

    @Flag(name: name(.centered), help: help(.centered))
    var centered = TrainingConfig().centered

    @Option(name: name(.weightDecay), parsing: .unconditional, help: help(.weightDecay))
    var weightDecay = TrainingConfig().weightDecay

    @Option(name: name(.l1), parsing: .unconditional, help: help(.l1))
    var l1 = TrainingConfig().l1

    @Option(name: name(.maxNorm), parsing: .unconditional, help: help(.maxNorm))
    var maxNorm = TrainingConfig().maxNorm

    @Option(name: name(.dropout), parsing: .unconditional, help: help(.dropout))
    var dropout = TrainingConfig().dropout

    @Option(name: name(.augment), help: help(.augment))
    var augment = TrainingConfig().augment

    @Option(name: name(.hidden), help: ArgumentHelp(Hyperparameter.hidden.helpWithRange + ".", valueName: "widths"),
            transform: { text in
                guard let widths = HyperparameterValue.parseWidths(text) else {
                    throw ValidationError("expected comma-separated widths such as 128,128")
                }
                return widths
            })
    var hidden = TrainingConfig().hidden

    @Option(name: name(.epochs), parsing: .unconditional, help: help(.epochs))
    var epochs = TrainingConfig().epochs

    @Option(name: name(.batchSize), parsing: .unconditional, help: help(.batchSize))
    var batchSize = TrainingConfig().batchSize

    @Option(name: name(.seed), parsing: .unconditional, help: help(.seed))
    var seed = Int(TrainingConfig().seed)

    @Option(name: name(.teacher), help: ArgumentHelp(Hyperparameter.teacher.help + ".", valueName: "model.safetensors"))
    var teacher: String?

    @Option(name: name(.distillTemperature), parsing: .unconditional, help: help(.distillTemperature))
    var distillTemperature = TrainingConfig().distillTemperature

    @Option(name: name(.distillAlpha), parsing: .unconditional, help: help(.distillAlpha))
    var distillAlpha = TrainingConfig().distillAlpha

    @Option(name: name(.trainLimit), parsing: .unconditional, help: help(.trainLimit))
    var trainLimit: Int?

    @Option(name: name(.testLimit), parsing: .unconditional, help: help(.testLimit))
    var testLimit: Int?

    /// The configuration these flags describe: each option's value goes to the hyperparameter its
    /// property is named after, found as ArgumentParser finds the options, by reflection.
    var config: TrainingConfig {
        var config = TrainingConfig()
        for child in Mirror(reflecting: self).children {
            // A property wrapper's storage is labelled `_name`.
            guard let option = child.value as? any HyperparameterOption, let label = child.label?.dropFirst(),
                  let parameter = TrainingOptions.parameters[String(label)] else { continue }
            config[parameter] = option.hyperparameterValue
        }
        return config
    }

    /// Each hyperparameter by its case's name, e.g. `learningRate`.
    private static let parameters = Dictionary(uniqueKeysWithValues: Hyperparameter.allCases.map { ("\($0)", $0) })

    func validate() throws {
        do {
            try config.validate()
        } catch {
            throw ValidationError(error.flagDescription)
        }
    }
}

/// A parsed `@Option` or `@Flag` of a hyperparameter.
private protocol HyperparameterOption {
    var hyperparameterValue: HyperparameterValue { get }
}

extension Option: HyperparameterOption where Value: HyperparameterArgument {
    fileprivate var hyperparameterValue: HyperparameterValue { wrappedValue.hyperparameterValue }
}

extension Flag: HyperparameterOption where Value == Bool {
    fileprivate var hyperparameterValue: HyperparameterValue { .flag(wrappedValue) }
}

/// A type a hyperparameter's option parses to.
private protocol HyperparameterArgument {
    var hyperparameterValue: HyperparameterValue { get }
}

extension Double: HyperparameterArgument {
    fileprivate var hyperparameterValue: HyperparameterValue { .real(self) }
}

extension Int: HyperparameterArgument {
    fileprivate var hyperparameterValue: HyperparameterValue { .whole(self) }
}

extension String: HyperparameterArgument {
    fileprivate var hyperparameterValue: HyperparameterValue { .text(self) }
}

extension Augmentation: HyperparameterArgument {
    fileprivate var hyperparameterValue: HyperparameterValue { .augmentation(self) }
}

extension OptimizerKind: HyperparameterArgument {
    fileprivate var hyperparameterValue: HyperparameterValue { .optimizer(self) }
}

extension Array: HyperparameterArgument where Element == Int {
    fileprivate var hyperparameterValue: HyperparameterValue { .widths(self) }
}

extension Optional: HyperparameterArgument where Wrapped: HyperparameterArgument {
    fileprivate var hyperparameterValue: HyperparameterValue { self?.hyperparameterValue ?? .unset }
}
