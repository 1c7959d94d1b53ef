import Foundation

/// A network's weights in the safetensors format (an 8-byte little-endian header length, a JSON
/// header, then the tensors' bytes), named and shaped so that PyTorch's
/// `nn.Sequential(Linear, ReLU, Dropout, …, Linear)` loads them with `load_state_dict`: linear layer
/// `l` is module `3·l`, its weight `[out, in]` row-major (our layout already) and its bias `[out]`.
///
/// Reference: https://github.com/huggingface/safetensors (format section of its README).
public enum SafeTensors {
    /// The PyTorch module index of linear layer `l` in Linear, ReLU, Dropout, Linear, … .
    public static func moduleIndex(ofLayer l: Int) -> Int { 3 * l }

    /// The file's bytes for a network of `layerSizes` with `parameters` laid out as `MLP.parameters`,
    /// and string `metadata` (safetensors' `__metadata__`).
    public static func encode(layerSizes: [Int], parameters: [Float], metadata: [String: String] = [:]) -> [UInt8] {
        precondition(parameters.count == TrainingCheckpoint.parameterCount(layerSizes: layerSizes))
        var entries: [(name: String, shape: [Int], start: Int, end: Int)] = []
        var offset = 0
        for l in 0..<(layerSizes.count - 1) {
            let (inputs, outputs) = (layerSizes[l], layerSizes[l + 1])
            let module = moduleIndex(ofLayer: l)
            entries.append(("\(module).weight", [outputs, inputs], offset, offset + 4 * outputs * inputs))
            offset += 4 * outputs * inputs
            entries.append(("\(module).bias", [outputs], offset, offset + 4 * outputs))
            offset += 4 * outputs
        }
        var fields = entries.map { entry in
            "\(quoted(entry.name)):{\"dtype\":\"F32\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],"
                + "\"data_offsets\":[\(entry.start),\(entry.end)]}"
        }
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(quoted($0)):\(quoted(metadata[$0]!))" }
            fields.insert("\"__metadata__\":{\(pairs.joined(separator: ","))}", at: 0)
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        // Pad with spaces so the tensors start 8-byte aligned, as the format recommends.
        while (8 + header.count) % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + 4 * parameters.count)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        #if _endian(big)
        for value in parameters { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 } }
        #else
        parameters.withUnsafeBytes { bytes += $0 }
        #endif
        return bytes
    }

    /// The weights `checkpoint` holds, with metadata saying what they are: the configuration, the
    /// epochs trained and the last epoch's test figures.
    public static func encode(_ checkpoint: TrainingCheckpoint) -> [UInt8] {
        let config = checkpoint.config
        var metadata = ["format": "pt", "epochs": "\(checkpoint.epochs.count)",
                        "layers": checkpoint.layerSizes.map(String.init).joined(separator: ","),
                        "config": Hyperparameter.allCases.filter { config[$0] != .unset }
                            .map { "\($0.rawValue)=\(config[$0])" }.joined(separator: " ")]
        if let final = checkpoint.epochs.last {
            metadata["final_test_loss"] = "\(final.testLoss)"
            metadata["final_test_accuracy"] = "\(final.testAccuracy)"
        }
        return encode(layerSizes: checkpoint.layerSizes, parameters: checkpoint.parameters, metadata: metadata)
    }

    /// One tensor read back: its name, shape and values.
    public struct Tensor: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
    }

    /// Why a file is not a safetensors file this reader takes (float32 tensors only).
    public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads every tensor of `bytes`, in file order, and the metadata.
    public static func decode(_ bytes: [UInt8]) throws(FormatError) -> (tensors: [Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw FormatError(description: "shorter than the 8-byte header length") }
        let length = bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(bytes.count - 8) else { throw FormatError(description: "header length \(length) beyond the file") }
        let headerEnd = 8 + Int(length)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd])) as? [String: Any] else {
            throw FormatError(description: "header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [(start: Int, tensor: Tensor)] = []
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], entry["dtype"] as? String == "F32",
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] >= 0, offsets[1] >= offsets[0], headerEnd + offsets[1] <= bytes.count,
                  offsets[1] - offsets[0] == 4 * shape.reduce(1, *)
            else { throw FormatError(description: "tensor \(name) is not a float32 tensor within the file") }
            let values = stride(from: headerEnd + offsets[0], to: headerEnd + offsets[1], by: 4).map { at in
                Float(bitPattern: bytes[at..<(at + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            }
            tensors.append((offsets[0], Tensor(name: name, shape: shape, values: values)))
        }
        return (tensors.sorted { $0.start < $1.start }.map(\.tensor), metadata)
    }

    private static func quoted(_ text: String) -> String {
        // JSONSerialization escapes a string properly when it is wrapped in an array.
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
