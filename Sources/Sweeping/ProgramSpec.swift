import Foundation
import Training
import Yams
import SweepCore

/// What a program sweep runs (W&B's `program` and `command`) and over which parameters. Trials are
/// computed on demand from their position, as `TrialSpace` computes the built-in trainer's.
public struct ProgramSpec: Sendable {
    /// `program:` as written.
    public var program: String?
    /// `command:`, or W&B's default.
    public var command: ProgramCommand
    /// The sweep file's directory: a relative `program` is found there.
    public var directory: String
    /// The positions' values, laid out as the built-in trainer's (`PointSpace`).
    let points: PointSpace<ProgramParameter>
    /// The parameters, flattened, in W&B's order.
    public var parameters: [ProgramParameter] { points.parameters }
    /// grid, random or bayes (whose first proposals are its random start).
    public var method: SweepSpec.Method { points.method }
    /// Seeds random search.
    public var randomSeed: UInt64 { points.randomSeed }
    /// Trial positions: the grid's size or `run_cap`, whichever is smaller.
    public var count: Int { points.count }
    /// The grid's size, if it fits an Int.
    public var gridSize: Int? { points.gridSize }

    /// The program's path as the coordinator's machine sees it.
    public var programPath: String? { programPath(in: directory) }

    /// The program's path when it is found in `folder` (a worker's `--workdir`, say).
    public func programPath(in folder: String) -> String? {
        program.map { $0.hasPrefix("/") ? $0 : (folder as NSString).appendingPathComponent($0) }
    }

    init(program: String?, command: ProgramCommand, directory: String, parameters: [ProgramParameter],
         method: SweepSpec.Method, randomSeed: UInt64, runCap: Int?) {
        self.program = program
        self.command = command
        self.directory = directory
        // Without run_cap, as W&B: random search runs until it is stopped.
        points = PointSpace(method: method, parameters: parameters, randomSeed: randomSeed, runCap: runCap, unbounded: Int.max)
    }

    /// Trial `index`'s values, flattened, in parameter order (`PointSpace.values(at:)`).
    public func values(at index: Int) -> [(name: String, value: ProgramValue)] {
        zip(parameters, points.values(at: index)).map { ($0.name, $1) }
    }

    /// Trial `index`'s point.
    public func point(at index: Int) -> TrialPoint {
        .program(values(at: index).map { ProgramValue.Pair($0.name, $0.value) })
    }

    /// The arguments as the program gets them: nested parameters nested again, as W&B's
    /// `HyperParameterSet.to_config` does (top-level values first, then each group in order).
    public func arguments(at index: Int) -> [(name: String, value: ProgramValue)] {
        arguments(of: values(at: index).map { ProgramValue.Pair($0.name, $0.value) }).map { ($0.key, $0.value) }
    }

    /// `values` (flattened, in parameter order) nested again for the program.
    public func arguments(of values: [ProgramValue.Pair]) -> [ProgramValue.Pair] {
        var top: [ProgramValue.Pair] = []
        for (parameter, value) in zip(parameters, values.map(\.value)) where parameter.path.count == 1 {
            top.append(.init(parameter.name, value))
        }
        for (parameter, value) in zip(parameters, values.map(\.value)) where parameter.path.count > 1 {
            ProgramSpec.insert(value, at: parameter.path[...], into: &top)
        }
        return top
    }

    private static func insert(_ value: ProgramValue, at path: ArraySlice<String>, into pairs: inout [ProgramValue.Pair]) {
        guard path.count > 1 else {
            pairs.append(.init(path.first!, value))
            return
        }
        let head = path.first!
        if let index = pairs.firstIndex(where: { $0.key == head }), case .mapping(var inner) = pairs[index].value {
            insert(value, at: path.dropFirst(), into: &inner)
            pairs[index].value = .mapping(inner)
        } else {
            var inner: [ProgramValue.Pair] = []
            insert(value, at: path.dropFirst(), into: &inner)
            pairs.append(.init(head, .mapping(inner)))
        }
    }

    /// A trial's stable id: the FNV-1a hash of its values' canonical text (`name=json`, sorted).
    public func trialID(at index: Int) -> String { point(at: index).id }

    /// What a worker needs to run the trial with these values (flattened, in parameter order).
    public func job(for values: [ProgramValue.Pair], sweep: String, metric: String, maxSeconds: Double?,
                    stopGrace: Double) -> ProgramJob {
        ProgramJob(sweep: sweep, program: program, directory: directory, command: command.elements,
                   arguments: arguments(of: values), metric: metric, maxSeconds: maxSeconds, stopGrace: stopGrace)
    }

    /// Whether `values` are ones this sweep can produce: the same names in the same order, each a
    /// value its parameter admits.
    public func admits(_ values: [ProgramValue.Pair]) -> Bool {
        values.count == parameters.count && zip(parameters, values).allSatisfy { $0.name == $1.key && $0.admits($1.value) }
    }

    /// Trial `index`'s argv on a machine with `environment`, the program found in `directory`
    /// (the sweep file's, or a worker's `--workdir`).
    public func argv(at index: Int, environment: [String: String], jsonFile: String, directory: String? = nil) -> [String] {
        command.argv(arguments: arguments(at: index), program: programPath(in: directory ?? self.directory) ?? "",
                     environment: environment, jsonFile: jsonFile)
    }

    /// Reads `program:` and `command:`.
    static func readCommand(_ top: Node.Mapping, root: Node, reader: NodeReader) throws(SpecError) -> (program: String?, command: ProgramCommand) {
        let program = try top["program"].map { (node: Node) throws(SpecError) -> String in
            let text = try reader.string(node, key: "program")
            guard !text.isEmpty, !text.contains("\n") else { throw reader.error(node, key: "program", "must name a file") }
            return text
        }
        var command = ProgramCommand()
        if let node = top["command"] {
            guard let items = node.sequence else {
                throw reader.error(node, key: "command", "must be a list such as [\"${env}\", \"${interpreter}\", \"${program}\", \"${args}\"]")
            }
            guard !items.isEmpty else { throw reader.error(node, key: "command", "is empty; give at least the program to run") }
            var elements: [String] = []
            for item in items {
                // W&B turns every element into a string (`str(c)`); only nested lists or mappings are wrong.
                guard let text = item.scalar?.string else {
                    throw reader.error(item, key: "command", "each element must be a string, got \(reader.describe(item))")
                }
                elements.append(text)
            }
            command = ProgramCommand(elements: elements)
        }
        let usesProgram = command.elements.contains("${program}")
        if usesProgram && program == nil {
            throw reader.error(top["command"] ?? root, key: "program",
                               "missing; the command uses ${program}, so name the program to run")
        }
        return (program, command)
    }
}
