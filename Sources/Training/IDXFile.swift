import CZlib

/// One IDX file of unsigned bytes (the format of MNIST and FashionMNIST), read through zlib.
///
/// zlib's `gzread` reads gzip and plain files alike, so an unpacked copy works too.
public struct IDXFile: Sendable {
    /// The sizes of the dimensions, outermost (the item count) first.
    public let dimensions: [Int]
    /// The data, row-major, as stored.
    public let bytes: [UInt8]

    /// IDX magic number for unsigned-byte data with `rank` dimensions.
    public static func magic(rank: Int) -> UInt32 { 0x0000_0800 | UInt32(rank) }

    /// Reads the IDX file at `path`, which must have `rank` dimensions of unsigned bytes.
    public init(path: String, rank: Int) throws(DataError) {
        guard let file = gzopen(path, "rb") else {
            throw DataError.unreadable(path: path, reason: "gzopen failed")
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 17)

        // Magic first, so a file of the wrong kind is called that rather than "truncated".
        let magicBytes = try IDXFile.read(file, count: 4, path: path)
        guard magicBytes.count == 4 else {
            throw DataError.truncated(path: path, expectedBytes: 4, foundBytes: magicBytes.count)
        }
        let magic = magicBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard magic == IDXFile.magic(rank: rank) else {
            throw DataError.badMagic(path: path, found: magic, expected: IDXFile.magic(rank: rank))
        }
        let header = try IDXFile.read(file, count: 4 * rank, path: path)
        guard header.count == 4 * rank else {
            throw DataError.truncated(path: path, expectedBytes: 4 + 4 * rank, foundBytes: 4 + header.count)
        }
        let dimensions = (0..<rank).map { d in
            header[(4 * d)..<(4 * d + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        }.map(Int.init)
        // Guard the product before reading: a corrupt header must not ask for terabytes.
        var total = 1
        for size in dimensions {
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= 1 << 31 else {
                throw DataError.badDimensions(path: path, detail: "\(dimensions) is implausibly large")
            }
            total = product
        }
        let data = try IDXFile.read(file, count: total, path: path)
        guard data.count == total else {
            throw DataError.truncated(path: path, expectedBytes: total, foundBytes: data.count)
        }
        self.dimensions = dimensions
        self.bytes = data
    }

    /// Reads up to `count` bytes; fewer only at the end of the file.
    private static func read(_ file: gzFile, count: Int, path: String) throws(DataError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        let outcome: Int32 = buffer.withUnsafeMutableBytes { raw in
            while filled < count {
                let chunk = UInt32(min(count - filled, 1 << 30))
                let got = gzread(file, raw.baseAddress! + filled, chunk)
                if got <= 0 { return got }
                filled += Int(got)
            }
            return 1
        }
        if outcome < 0 {
            var code: Int32 = 0
            let message = gzerror(file, &code).map { String(cString: $0) } ?? "unknown zlib error"
            throw DataError.unreadable(path: path, reason: message)
        }
        if filled < count { buffer.removeLast(count - filled) }
        return buffer
    }
}
