import Foundation
import Training
import SweepCore

/// What a program sweep runs (W&B's `program` and `command`): its trials are points of the sweep's
/// `TrialSpace` like the built-in trainer's, and this says how a worker runs one.
public struct ProgramSpec: Sendable {
    /// `program:` as written.
    public var program: String?
    /// `command:`, or W&B's default.
    public var command: ProgramCommand
    /// The sweep file's directory: a relative `program` is found there.
    public var directory: String
    /// The parameters, flattened, in W&B's order: where each value goes when they are nested again.
    public var parameters: [Parameter]

    /// The program's path as the coordinator's machine sees it.
    public var programPath: String? { programPath(in: directory) }

    /// The program's path when it is found in `folder` (a worker's `--workdir`, say).
    public func programPath(in folder: String) -> String? {
        program.map { $0.hasPrefix("/") ? $0 : (folder as NSString).appendingPathComponent($0) }
    }

    package init(program: String?, command: ProgramCommand, directory: String, parameters: [Parameter]) {
        self.program = program
        self.command = command
        self.directory = directory
        self.parameters = parameters
    }

    /// `values` (flattened, in parameter order) nested again for the program.
    public func arguments(of values: [ParameterValue.Pair]) -> [ParameterValue.Pair] {
        var top: [ParameterValue.Pair] = []
        for (parameter, value) in zip(parameters, values.map(\.value)) where parameter.path.count == 1 {
            top.append(.init(parameter.name, value))
        }
        for (parameter, value) in zip(parameters, values.map(\.value)) where parameter.path.count > 1 {
            ProgramSpec.insert(value, at: parameter.path[...], into: &top)
        }
        return top
    }

    private static func insert(_ value: ParameterValue, at path: ArraySlice<String>, into pairs: inout [ParameterValue.Pair]) {
        guard path.count > 1 else {
            pairs.append(.init(path.first!, value))
            return
        }
        let head = path.first!
        if let index = pairs.firstIndex(where: { $0.key == head }), case .mapping(var inner) = pairs[index].value {
            insert(value, at: path.dropFirst(), into: &inner)
            pairs[index].value = .mapping(inner)
        } else {
            var inner: [ParameterValue.Pair] = []
            insert(value, at: path.dropFirst(), into: &inner)
            pairs.append(.init(head, .mapping(inner)))
        }
    }

    /// What a worker needs to run the trial with these values (flattened, in parameter order).
    public func job(for values: [ParameterValue.Pair], sweep: String, metric: String, maxSeconds: Double?,
                    stopGrace: Double) -> ProgramJob {
        ProgramJob(sweep: sweep, program: program, directory: directory, command: command.elements,
                   arguments: arguments(of: values), metric: metric, maxSeconds: maxSeconds, stopGrace: stopGrace)
    }

    /// The argv of the trial with these values (flattened, in parameter order) on a machine with
    /// `environment`, the program found in `directory` (the sweep file's, or a worker's `--workdir`).
    public func argv(of values: [ParameterValue.Pair], environment: [String: String], jsonFile: String,
                     directory: String? = nil) -> [String] {
        command.argv(arguments: arguments(of: values).map { ($0.key, $0.value) }, program: programPath(in: directory ?? self.directory) ?? "",
                     environment: environment, jsonFile: jsonFile)
    }
}
