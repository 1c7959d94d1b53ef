/// Why FashionMNIST could not be loaded; each message names the file and what to do.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data directory does not exist.
    case directoryMissing(path: String)
    /// One of the four IDX files is not in the data directory.
    case fileMissing(path: String)
    /// The file exists but zlib could not open or decompress it.
    case unreadable(path: String, reason: String)
    /// The file's first four bytes are not the IDX magic number expected for it.
    case badMagic(path: String, found: UInt32, expected: UInt32)
    /// The file ends before its header, or before the data its header promises, is complete.
    case truncated(path: String, expectedBytes: Int, foundBytes: Int)
    /// The header's dimensions are not usable (zero, or not the image size the model expects).
    case badDimensions(path: String, detail: String)
    /// The image and label files of one split hold different numbers of items.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// A label is not one of the ten classes.
    case labelOutOfRange(path: String, index: Int, value: UInt8)

    public var description: String {
        switch self {
        case .directoryMissing(let path):
            return "FashionMNIST directory \(path) does not exist; run Scripts/setup "
                + "(or apt-get install dataset-fashion-mnist), or point --data / FASHION_MNIST_DIR at the IDX files"
        case .fileMissing(let path):
            return "FashionMNIST file \(path) is missing; run Scripts/setup "
                + "(or apt-get install dataset-fashion-mnist), or point --data / FASHION_MNIST_DIR at the IDX files"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .badMagic(let path, let found, let expected):
            return "\(path) is not an IDX file of the expected kind: magic number 0x\(hex(found)), expected 0x\(hex(expected))"
        case .truncated(let path, let expected, let found):
            return "\(path) is truncated: expected \(expected) bytes, found only \(found)"
        case .badDimensions(let path, let detail):
            return "\(path) has unusable dimensions: \(detail)"
        case .countMismatch(let images, let imageCount, let labels, let labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels"
        case .labelOutOfRange(let path, let index, let value):
            return "\(path): label \(index) is \(value), but FashionMNIST labels are 0…9"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
