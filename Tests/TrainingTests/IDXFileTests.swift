import CZlib
import Foundation
import SweepTestSupport
import Testing
@testable import Training

/// The IDX reader on small files the tests write: a good pair loads, every defect gets its own error.
@Suite("IDX files")
struct IDXFileTests {

    /// IDX header + data bytes.
    static func idx(magic: UInt32, dimensions: [UInt32], data: [UInt8]) -> [UInt8] {
        func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        return bigEndian(magic) + dimensions.flatMap(bigEndian) + data
    }

    /// Writes `bytes` gzip-compressed, as the dataset ships them.
    static func writeGzip(_ bytes: [UInt8], to path: String) {
        let file = gzopen(path, "wb")!
        bytes.withUnsafeBytes { _ = gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        gzclose(file)
    }

    /// Writes a consistent four-file dataset of `train` and `test` 2×3 images into `scratch`.
    static func writeDataset(_ scratch: Scratch, train: Int = 5, test: Int = 3,
                             edit: (inout [String: [UInt8]]) -> Void = { _ in }) {
        var files: [String: [UInt8]] = [:]
        for (prefix, count) in [("train", train), ("t10k", test)] {
            let pixels = (0..<(count * 6)).map { UInt8($0 % 256) }
            files["\(prefix)-images-idx3-ubyte.gz"] = idx(magic: 0x803, dimensions: [UInt32(count), 2, 3], data: pixels)
            files["\(prefix)-labels-idx1-ubyte.gz"] = idx(magic: 0x801, dimensions: [UInt32(count)],
                                                          data: (0..<count).map { UInt8($0 % 10) })
        }
        edit(&files)
        for (name, bytes) in files { writeGzip(bytes, to: scratch.file(name)) }
    }

    @Test func aConsistentDatasetLoadsAsBytes() throws {
        let scratch = Scratch()
        Self.writeDataset(scratch)
        let data = try FashionMNIST.load(directory: scratch.path, trainLimit: 4)
        #expect(data.train.count == 4)
        #expect(data.test.count == 3)
        #expect((data.train.rows, data.train.columns) == (2, 3))
        #expect(Array(data.train.images.prefix(7)) == [0, 1, 2, 3, 4, 5, 6])
        #expect(data.test.labels == [0, 1, 2])
    }

    struct Defect: CustomTestStringConvertible, Sendable {
        var name: String
        var edit: @Sendable (inout [String: [UInt8]]) -> Void
        var expected: @Sendable (String) -> DataError
        var testDescription: String { name }
    }

    static let defects: [Defect] = [
        Defect(name: "missing label file", edit: { $0["train-labels-idx1-ubyte.gz"] = nil },
               expected: { .fileMissing(path: $0 + "/train-labels-idx1-ubyte.gz") }),
        Defect(name: "labels where images belong",
               edit: { $0["t10k-images-idx3-ubyte.gz"] = idx(magic: 0x801, dimensions: [3], data: [0, 1, 2]) },
               expected: { .badMagic(path: $0 + "/t10k-images-idx3-ubyte.gz", found: 0x801, expected: 0x803) }),
        Defect(name: "truncated images", edit: { $0["train-images-idx3-ubyte.gz"]!.removeLast(4) },
               expected: { .truncated(path: $0 + "/train-images-idx3-ubyte.gz", expectedBytes: 30, foundBytes: 26) }),
        Defect(name: "truncated header", edit: { $0["t10k-labels-idx1-ubyte.gz"] = [0, 0, 8, 1, 0, 0] },
               expected: { .truncated(path: $0 + "/t10k-labels-idx1-ubyte.gz", expectedBytes: 8, foundBytes: 6) }),
        Defect(name: "more labels than images",
               edit: { $0["train-labels-idx1-ubyte.gz"] = idx(magic: 0x801, dimensions: [6], data: [0, 1, 2, 3, 4, 5]) },
               expected: { .countMismatch(images: $0 + "/train-images-idx3-ubyte.gz", imageCount: 5,
                                          labels: $0 + "/train-labels-idx1-ubyte.gz", labelCount: 6) }),
        Defect(name: "label 12", edit: { $0["t10k-labels-idx1-ubyte.gz"] = idx(magic: 0x801, dimensions: [3], data: [0, 12, 1]) },
               expected: { .labelOutOfRange(path: $0 + "/t10k-labels-idx1-ubyte.gz", index: 1, value: 12) }),
        Defect(name: "zero images",
               edit: {
                   $0["train-images-idx3-ubyte.gz"] = idx(magic: 0x803, dimensions: [0, 2, 3], data: [])
                   $0["train-labels-idx1-ubyte.gz"] = idx(magic: 0x801, dimensions: [0], data: [])
               },
               expected: { .badDimensions(path: $0 + "/train-images-idx3-ubyte.gz", detail: "0 images of 2×3 pixels") }),
    ]

    @Test(arguments: defects)
    func eachDefectHasItsOwnError(_ defect: Defect) {
        let scratch = Scratch()
        Self.writeDataset(scratch, edit: defect.edit)
        #expect(throws: defect.expected(scratch.path)) {
            try FashionMNIST.load(directory: scratch.path)
        }
    }

    @Test func corruptGzipIsUnreadableNotACrash() throws {
        let scratch = Scratch()
        Self.writeDataset(scratch)
        let path = scratch.file("train-images-idx3-ubyte.gz")
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for i in 12..<(bytes.count - 8) { bytes[i] ^= 0x5A }  // keep the gzip header, ruin the stream
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try FashionMNIST.load(directory: scratch.path)
            Issue.record("a corrupt stream loaded")
        } catch {
            guard case .unreadable(let failing, _) = error else {
                Issue.record("expected unreadable, got \(error)")
                return
            }
            #expect(failing == path)
            #expect(error.description.hasPrefix("cannot read \(path):"))
        }
    }

    @Test func missingDirectoryNamesItAndTheFix() {
        let error = #expect(throws: DataError.self) { try FashionMNIST.load(directory: "/nonexistent/fmnist") }
        #expect(error == .directoryMissing(path: "/nonexistent/fmnist"))
        #expect(error?.description.contains("Scripts/setup") == true)
        #expect(error?.description.contains("dataset-fashion-mnist") == true)
    }
}
