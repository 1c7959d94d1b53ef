/// Labelled images kept as bytes, as the IDX files store them (60,000 images take 47 MB, not 188).
public struct Dataset: Sendable {
    /// Pixels, image after image, row-major, 0…255.
    public let images: [UInt8]
    /// One class index 0…9 per image.
    public let labels: [UInt8]
    /// Image height in pixels.
    public let rows: Int
    /// Image width in pixels.
    public let columns: Int

    /// The number of images.
    public var count: Int { labels.count }
    /// Pixels per image.
    public var pixelsPerImage: Int { rows * columns }

    /// Creates a dataset; `images` holds `labels.count` images of `rows × columns` bytes.
    public init(images: [UInt8], labels: [UInt8], rows: Int, columns: Int) {
        precondition(images.count == labels.count * rows * columns, "image bytes do not match the label count")
        self.images = images
        self.labels = labels
        self.rows = rows
        self.columns = columns
    }

    /// The first `n` images (all of them when `n` is larger).
    public func prefix(_ n: Int) -> Dataset {
        guard n < count else { return self }
        return Dataset(images: Array(images.prefix(n * pixelsPerImage)), labels: Array(labels.prefix(n)),
                       rows: rows, columns: columns)
    }

    /// Loads one split from its image and label IDX files.
    public static func load(images imagePath: String, labels labelPath: String) throws(DataError) -> Dataset {
        let images = try IDXFile(path: imagePath, rank: 3)
        let labels = try IDXFile(path: labelPath, rank: 1)
        let (count, rows, columns) = (images.dimensions[0], images.dimensions[1], images.dimensions[2])
        guard count > 0, rows > 0, columns > 0 else {
            throw DataError.badDimensions(path: imagePath, detail: "\(count) images of \(rows)×\(columns) pixels")
        }
        guard count == labels.dimensions[0] else {
            throw DataError.countMismatch(images: imagePath, imageCount: count,
                                          labels: labelPath, labelCount: labels.dimensions[0])
        }
        if let bad = labels.bytes.firstIndex(where: { $0 > 9 }) {
            throw DataError.labelOutOfRange(path: labelPath, index: bad, value: labels.bytes[bad])
        }
        return Dataset(images: images.bytes, labels: labels.bytes, rows: rows, columns: columns)
    }
}
