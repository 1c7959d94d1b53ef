import Foundation

/// A trained network read from a `.safetensors` model file (as `sweep` keeps and exports them: linear
/// layer `l` is tensors `3l.weight` `[out, in]` and `3l.bias` `[out]`), for knowledge distillation. Any
/// hidden shape; the input must be FashionMNIST's 784 pixels and the output its 10 classes.
public struct TeacherModel: Sendable {
    /// Widths, input first.
    public let layerSizes: [Int]
    /// Weights and biases laid out as `MLP.parameters`.
    public let parameters: [Float]

    /// The largest model file read (a 1024-512 model is 3.7 MB).
    public static let maximumFileSize = 512 << 20

    /// Reads `path`; the error says in one line why it cannot be a teacher.
    public init(path: String) throws(ConfigError) {
        switch TeacherModel.read(path) {
        case .success(let model): self = model
        case .failure(let error): throw error
        }
    }

    private init(layerSizes: [Int], parameters: [Float]) {
        self.layerSizes = layerSizes
        self.parameters = parameters
    }

    private static func read(_ path: String) -> Result<TeacherModel, ConfigError> {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            return .failure(ConfigError(.teacher, value: path, "must be a readable model file; there is no file at that path"))
        }
        guard status.st_size <= TeacherModel.maximumFileSize else {
            return .failure(ConfigError(.teacher, value: path, "is larger than \(TeacherModel.maximumFileSize >> 20) MB"))
        }
        guard let file = fopen(path, "rb") else { return .failure(ConfigError(.teacher, value: path, "cannot be read: \(String(cString: strerror(errno)))")) }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        guard bytes.withUnsafeMutableBytes({ fread($0.baseAddress, 1, $0.count, file) }) == bytes.count else {
            return .failure(ConfigError(.teacher, value: path, "cannot be read whole"))
        }
        let decoded: (tensors: [SafeTensors.Tensor], metadata: [String: String])
        do {
            decoded = try SafeTensors.decode(bytes)
        } catch {
            return .failure(ConfigError(.teacher, value: path, "is not a safetensors model: \(error)"))
        }
        let byName = Dictionary(decoded.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var sizes: [Int] = []
        var parameters: [Float] = []
        var l = 0
        while let weight = byName["\(SafeTensors.moduleIndex(ofLayer: l)).weight"] {
            guard weight.shape.count == 2, let bias = byName["\(SafeTensors.moduleIndex(ofLayer: l)).bias"],
                  bias.shape == [weight.shape[0]] else {
                return .failure(ConfigError(.teacher, value: path, "has no matching bias of shape [\(weight.shape.first ?? 0)] for layer \(l)"))
            }
            if l == 0 { sizes.append(weight.shape[1]) }
            guard weight.shape[1] == sizes.last! else {
                return .failure(ConfigError(.teacher, value: path, "layer \(l) takes \(weight.shape[1]) inputs where layer \(l - 1) gives \(sizes.last!)"))
            }
            sizes.append(weight.shape[0])
            parameters += weight.values + bias.values
            l += 1
        }
        guard sizes.count >= 2 else { return .failure(ConfigError(.teacher, value: path, "holds no linear layers named 0.weight, 0.bias, 3.weight, …")) }
        guard sizes.first == FashionMNIST.pixelsPerImage, sizes.last == FashionMNIST.classes else {
            return .failure(ConfigError(.teacher, value: path, "maps \(sizes.first!) inputs to \(sizes.last!) outputs, not FashionMNIST's \(FashionMNIST.pixelsPerImage) to \(FashionMNIST.classes)"))
        }
        guard sizes.dropFirst().allSatisfy({ Hyperparameter.widthBounds.contains(Double($0)) }) else {
            return .failure(ConfigError(.teacher, value: path, "has a layer wider than \(Int(Hyperparameter.widthBounds.upper))"))
        }
        return .success(TeacherModel(layerSizes: sizes, parameters: parameters))
    }
}
