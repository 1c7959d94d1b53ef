import Yams
import Sweeping
import SweepCore

extension ProgramSpec {
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
