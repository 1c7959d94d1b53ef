import Training

extension SweepSpec {
    /// The parameters the sweep file names, in the file's order (a program sweep's flattened names,
    /// which its trials and `trials.csv` keep in W&B's sorted order).
    public var namesInFileOrder: [String] { RecordLayout.fileOrder(parameters).map(\.name) }

    /// Of `namesInFileOrder`, the parameters with more than one value.
    public var varyingNamesInFileOrder: [String] {
        RecordLayout.fileOrder(parameters).filter { $0.gridCount != 1 }.map(\.name)
    }

    /// `point`'s values of `namesInFileOrder`, as `trials.csv` writes them (`RunnerKind.cell`: a
    /// program's as Python's `str`, the built-in trainer's in their canonical text).
    public func valueTexts(of point: TrialPoint) -> [(name: String, value: String)] {
        namesInFileOrder.compactMap { name in point[name].map { (name, runner.cell($0, column: name)) } }
    }
}

extension RecordLayout {
    /// The parameter columns as people read them: a program sweep's in its file's order (its columns
    /// are in W&B's sorted order), the built-in trainer's in the columns' order.
    public var parametersInFileOrder: [String] {
        sweptParameters.isEmpty ? parameters : RecordLayout.fileOrder(sweptParameters).map(\.name)
    }

    /// Parameters in the order their keys were written (a program's nested ones where their key is;
    /// several on one line keep their sorted order).
    static func fileOrder(_ parameters: [Parameter]) -> [Parameter] {
        parameters.enumerated().sorted { a, b in
            let (x, y) = (a.element.line ?? Int.max, b.element.line ?? Int.max)
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
    }
}
