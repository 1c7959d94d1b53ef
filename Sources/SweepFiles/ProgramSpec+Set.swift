import Sweeping
import Yams
import SweepCore

extension SweepSpec {
    /// Trial `index`'s values with some replaced by `settings` (`name=value`, the value read as a YAML
    /// scalar or flow collection, as in a sweep file: `lr=0.9`, `optimizer.name=adam`, `layers=[64, 32]`),
    /// each checked against its parameter: `sweep try --set`.
    public func point(at index: Int, setting settings: [String]) throws(SpecError) -> TrialPoint {
        var values = space.namedValues(at: index)
        let reader = NodeReader(file: "--set")
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw SpecError(file: "--set", line: nil, key: nil, "'\(setting)' is not name=value")
            }
            let name = String(setting[..<equals]), text = String(setting[setting.index(after: equals)...])
            guard let position = parameters.firstIndex(where: { $0.name == name }) else {
                let names = parameters.map(\.name)
                let close = Suggestion.didYouMean(name, in: names).map { $0 + " " } ?? ""
                throw SpecError(file: "--set", line: nil, key: name,
                                "is not a parameter of this sweep; \(close)its parameters are \(names.joined(separator: ", "))")
            }
            let node: Node
            do {
                node = try Yams.compose(yaml: text) ?? Node("", Tag(.null))
            } catch {
                throw SpecError(file: "--set", line: nil, key: name, "'\(text)' is not a value a sweep file can hold")
            }
            let value = try Parameter.value(node, key: name, reader: reader, depth: 0)
            guard parameters[position].admits(value) else {
                throw SpecError(file: "--set", line: nil, key: name,
                                "\(value.jsonText) is not a value of this parameter (\(parameters[position].form))")
            }
            values[position] = .init(name, value)
        }
        return space.runner.point(values, method: method)
    }
}
