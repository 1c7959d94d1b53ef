import Sweeping
import Yams
import SweepCore

// Reading a parameter of a program sweep: any name, any value a sweep file can hold. The program
// judges the values, so the built-in trainer's ranges do not apply. Nested `parameters:` flatten as
// W&B flattens them: names joined with `.`, keys sorted at every level (W&B's
// `HyperParameterSet.from_config`), and the program gets them nested again.

extension Parameter {
    /// Reads a `parameters:` mapping (or a nested one under `prefix`), keys sorted as W&B sorts them.
    /// A parameter may not take the name of another `trials.csv` column (`reserved`).
    static func readProgram(_ node: Node, prefix: [String], method: SweepSpec.Method, reserved: Set<String>,
                     reader: NodeReader) throws(SpecError) -> [Parameter] {
        let key = prefix.isEmpty ? "parameters" : "parameters." + prefix.joined(separator: ".") + ".parameters"
        var entries: [(String, Node, Node)] = []
        for (keyNode, valueNode) in try reader.mapping(node, key: key) {
            guard let name = keyNode.string, !name.isEmpty, !name.contains("\n") else {
                throw reader.error(keyNode, key: key, "a parameter's name must be a non-empty string on one line")
            }
            entries.append((name, keyNode, valueNode))
        }
        guard !entries.isEmpty else { throw reader.error(node, key: key, "is empty; give at least one parameter") }
        // Every parameter is read, each one's mistakes recorded, before any is thrown.
        var problems = Problems()
        var parameters: [Parameter] = []
        for (name, keyNode, valueNode) in entries.sorted(by: { $0.0 < $1.0 }) {
            let path = prefix + [name]
            let dotted = "parameters." + path.joined(separator: ".")
            guard let spec = problems.attempt({ () throws(SpecError) in try reader.mapping(valueNode, key: dotted) }) else { continue }
            if let nested = spec["parameters"] {
                for (other, _) in spec where other.string != "parameters" {
                    problems.record(reader.error(other, key: "\(dotted).\(other.string ?? "")",
                                                 "does not belong beside parameters (a nested group holds only parameters)"))
                }
                parameters += problems.attempt { () throws(SpecError) in
                    try readProgram(nested, prefix: path, method: method, reserved: reserved, reader: reader)
                } ?? []
                continue
            }
            let name = path.joined(separator: ".")
            if reserved.contains(name) {
                problems.record(reader.error(keyNode, key: "parameters.\(name)", "is also the name of a trials.csv column "
                                             + "(\(reserved.sorted().joined(separator: ", "))); rename it"))
            }
            if let parameter = problems.attempt({ () throws(SpecError) in
                try Parameter(program: path, key: keyNode, spec: spec, node: valueNode, method: method, reader: reader)
            }) {
                parameters.append(parameter)
            }
        }
        try problems.throwIfAny()
        return parameters
    }

    /// Reads a program's parameter at `path` (its keys, nested ones first).
    private init(program path: [String], key keyNode: Node, spec: Node.Mapping, node: Node, method: SweepSpec.Method,
                 reader: NodeReader) throws(SpecError) {
        let name = path.joined(separator: ".")
        let dotted = "parameters.\(name)"
        let form = try Parameter.form(of: spec, at: node, path: dotted, reader: reader)
        let written = Parameter.writtenNumbers(spec)
        func made(_ domain: Domain) -> Parameter {
            // W&B gives int_uniform as an int and every other distribution as a float.
            Parameter(name: name, path: path, line: keyNode.mark?.line, domain: domain, form: form, written: written,
                      wholeNumbers: form == "int_uniform")
        }
        func choice(_ node: Node, _ key: String) throws(SpecError) -> Choice {
            Choice(value: try Parameter.value(node, key: key, reader: reader, depth: 0), line: node.mark?.line)
        }
        if let listed = try Parameter.listed(form, spec: spec, at: node, path: dotted, method: method, reader: reader, choice: choice) {
            self = made(listed)
        } else {
            self = made(.distribution(try Parameter.distribution(form, spec: spec, at: node, path: dotted, method: method, reader: reader)))
        }
    }

    /// A YAML value as the program will get it: YAML 1.1 scalars (as PyYAML, which W&B uses, reads
    /// `true`, `yes`, `1e-3`, `null`), lists and mappings.
    static func value(_ node: Node, key: String, reader: NodeReader, depth: Int) throws(SpecError) -> ParameterValue {
        guard depth < 16 else { throw reader.error(node, key: key, "nests too deeply for a parameter value") }
        switch node {
        case .scalar:
            switch node.tag.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return node.bool.map(ParameterValue.bool) ?? .string(node.string ?? "")
            case Tag.Name.int.rawValue:
                return node.int.map(ParameterValue.int) ?? node.float.map(ParameterValue.real) ?? .string(node.string ?? "")
            case Tag.Name.float.rawValue: return node.float.map(ParameterValue.real) ?? .string(node.string ?? "")
            default: return .string(node.string ?? "")
            }
        case .sequence(let sequence):
            var items: [ParameterValue] = []
            for item in sequence { items.append(try value(item, key: key, reader: reader, depth: depth + 1)) }
            return .list(items)
        case .mapping(let mapping):
            var pairs: [ParameterValue.Pair] = []
            for (keyNode, valueNode) in mapping {
                pairs.append(ParameterValue.Pair(keyNode.string ?? "", try value(valueNode, key: key, reader: reader, depth: depth + 1)))
            }
            return .mapping(pairs)
        case .alias:
            throw reader.error(node, key: key, "YAML aliases are not supported in parameter values")
        }
    }
}
