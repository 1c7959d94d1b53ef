import Training

extension SweepSpec {
    /// The parameters the sweep file names, in the file's order (a program sweep's flattened names,
    /// which its trials and `trials.csv` keep in W&B's sorted order).
    public var namesInFileOrder: [String] {
        if let program { return RecordLayout.fileOrder(program.parameters).map(\.name) }
        return parameters.map(\.name.rawValue)
    }

    /// Of `namesInFileOrder`, the parameters with more than one value.
    public var varyingNamesInFileOrder: [String] {
        if let program { return RecordLayout.fileOrder(program.parameters).filter { $0.gridCount != 1 }.map(\.name) }
        return parameters.filter { $0.gridCount != 1 }.map(\.name.rawValue)
    }

    /// `point`'s values of `namesInFileOrder`, as `trials.csv` writes them (a program's as Python's
    /// `str`, the built-in trainer's in their canonical text).
    public func valueTexts(of point: TrialPoint) -> [(name: String, value: String)] {
        switch point {
        case .model(let config):
            return parameters.map { ($0.name.rawValue, config[$0.name].description) }
        case .program(let values):
            let byName = Dictionary(values.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            return namesInFileOrder.compactMap { name in byName[name].map { (name, $0.pythonText) } }
        }
    }
}

extension RecordLayout {
    /// The parameter columns as people read them: a program sweep's in its file's order (its columns
    /// are in W&B's sorted order), the built-in trainer's in the columns' order.
    public var parametersInFileOrder: [String] {
        programParameters.isEmpty ? parameters : RecordLayout.fileOrder(programParameters).map(\.name)
    }

    /// Program parameters in the order their keys were written (nested ones where their key is;
    /// several on one line keep their sorted order).
    static func fileOrder(_ parameters: [ProgramParameter]) -> [ProgramParameter] {
        parameters.enumerated().sorted { a, b in
            let (x, y) = (a.element.line ?? Int.max, b.element.line ?? Int.max)
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
    }
}
