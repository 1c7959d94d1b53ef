import Foundation

/// W&B's `command:` for a program sweep and how one trial's argv is made from it, as `wandb agent`
/// makes it (`wandb/wandb_agent.py`, `sweeps/utils.py`): an element that is exactly a list macro
/// (`${args}`, …) becomes that list; `${envvar:NAME}` is replaced anywhere in an element (by the
/// variable's value, or by NAME when unset, as W&B does). Unlike W&B, which drops an element that
/// is an unknown macro, any other `${...}` passes through unchanged: Hydra's interpolations use the
/// same syntax.
public struct ProgramCommand: Equatable, Sendable {
    /// The command's elements as the sweep file gives them.
    public var elements: [String]

    /// W&B's default: `${env} ${interpreter} ${program} ${args}`.
    public static let defaultElements = ["${env}", "${interpreter}", "${program}", "${args}"]

    /// The macros an element may be exactly; each becomes a list of arguments.
    public static let listMacros = ["env", "interpreter", "program", "args", "args_no_equals", "args_no_hyphens",
                                    "args_no_boolean_flags", "args_json", "args_json_file", "args_append_hydra",
                                    "args_override_hydra"]

    /// A command; nil elements mean W&B's default.
    public init(elements: [String]? = nil) {
        self.elements = elements ?? ProgramCommand.defaultElements
    }

    /// Whether the command writes the trial's parameters to a file (`${args_json_file}`).
    public var usesJSONFile: Bool { elements.contains("${args_json_file}") }

    /// The argv for one trial.
    /// - Parameters:
    ///   - arguments: the trial's parameters, flattened, in file order.
    ///   - program: the path of the program (`${program}`).
    ///   - interpreter: what `${interpreter}` becomes (empty: nothing).
    ///   - environment: for `${envvar:NAME}`.
    ///   - jsonFile: the path `${args_json_file}` becomes.
    public func argv(arguments: [(name: String, value: ParameterValue)], program: String, interpreter: [String],
                     environment: [String: String], jsonFile: String) -> [String] {
        var out: [String] = []
        for element in elements {
            if element.hasPrefix("${") && element.hasSuffix("}") && element.count > 3 {
                let name = String(element.dropFirst(2).dropLast())
                if let list = ProgramCommand.expand(list: name, arguments: arguments, program: program,
                                                    interpreter: interpreter, jsonFile: jsonFile) {
                    out += list
                    continue
                }
            }
            out.append(ProgramCommand.replacingEnvironmentVariables(in: element, environment: environment))
        }
        return out
    }

    /// The argv for one trial, `${interpreter}` chosen by `program`'s extension as `Interpreter` says.
    public func argv(arguments: [(name: String, value: ParameterValue)], program: String, environment: [String: String],
                     jsonFile: String) -> [String] {
        argv(arguments: arguments, program: program, interpreter: Interpreter.forProgram(program, environment: environment),
             environment: environment, jsonFile: jsonFile)
    }

    /// The list a whole-element macro stands for, or nil if `name` is not one.
    static func expand(list name: String, arguments: [(name: String, value: ParameterValue)], program: String,
                       interpreter: [String], jsonFile: String) -> [String]? {
        switch name {
        case "env": return ["/usr/bin/env"]
        case "interpreter": return interpreter
        case "program": return [program]
        case "args": return arguments.map { "--\($0.name)=\($0.value.pythonText)" }
        case "args_no_equals": return arguments.flatMap { ["--\($0.name)", $0.value.pythonText] }
        case "args_no_hyphens": return arguments.map { "\($0.name)=\($0.value.pythonText)" }
        case "args_append_hydra": return arguments.map { "+\($0.name)=\($0.value.pythonText)" }
        case "args_override_hydra": return arguments.map { "++\($0.name)=\($0.value.pythonText)" }
        case "args_no_boolean_flags":
            return arguments.compactMap { argument in
                if case .bool(let flag) = argument.value { return flag ? "--\(argument.name)" : nil }
                return "--\(argument.name)=\(argument.value.pythonText)"
            }
        case "args_json": return [jsonObject(arguments)]
        case "args_json_file": return [jsonFile]
        default: return nil
        }
    }

    /// `json.dumps` of the arguments as one object (what `${args_json}` and the JSON file hold).
    public static func jsonObject(_ arguments: [(name: String, value: ParameterValue)]) -> String {
        ParameterValue.mapping(arguments.map { ParameterValue.Pair($0.name, $0.value) }).jsonText
    }

    /// W&B's `\$\{envvar:([A-Z0-9_]*)\}`, replaced anywhere in the element.
    static func replacingEnvironmentVariables(in element: String, environment: [String: String]) -> String {
        var out = ""
        var rest = Substring(element)
        while let start = rest.range(of: "${envvar:") {
            let afterPrefix = rest[start.upperBound...]
            let name = afterPrefix.prefix { ($0.isASCII && ($0.isUppercase || $0.isNumber)) || $0 == "_" }
            let close = afterPrefix.index(afterPrefix.startIndex, offsetBy: name.count)
            guard close < afterPrefix.endIndex, afterPrefix[close] == "}" else {
                out += rest[..<start.upperBound]
                rest = afterPrefix
                continue
            }
            out += rest[..<start.lowerBound]
            out += environment[String(name)] ?? String(name)
            rest = afterPrefix[afterPrefix.index(after: close)...]
        }
        return out + rest
    }
}
