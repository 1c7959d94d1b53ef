import Foundation

/// The FashionMNIST training and test splits.
public struct FashionMNIST: Sendable {
    /// The pixels of one image (28 × 28) and the number of classes: the network's two ends.
    public static let pixelsPerImage = 784
    public static let classes = 10

    /// Where Debian's `dataset-fashion-mnist` package puts the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    /// The 60,000 training images (or the prefix asked for).
    public let train: Dataset
    /// The 10,000 test images (or the prefix asked for).
    public let test: Dataset

    /// Creates the pair from two datasets of the same image size.
    public init(train: Dataset, test: Dataset) {
        precondition(train.pixelsPerImage == test.pixelsPerImage, "train and test image sizes differ")
        self.train = train
        self.test = test
    }

    /// The directory to read: `directory` if given, else `$FASHION_MNIST_DIR`, else Debian's.
    public static func resolveDirectory(_ directory: String?) -> String {
        if let directory { return directory }
        if let fromEnvironment = ProcessInfo.processInfo.environment["FASHION_MNIST_DIR"],
           !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return defaultDirectory
    }

    /// The four file names, image and label files of the training and test splits.
    public static let fileNames = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                   "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]

    /// Checks that the directory and the four files exist, without reading them: a quick early error.
    public static func checkFiles(directory: String? = nil) throws(DataError) {
        let root = resolveDirectory(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.directoryMissing(path: root)
        }
        for name in fileNames {
            let path = (root as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileMissing(path: path) }
        }
    }

    /// Loads the four `*-idx?-ubyte.gz` files from `directory`, keeping the first `trainLimit`
    /// training and `testLimit` test images when given.
    public static func load(directory: String? = nil, trainLimit: Int? = nil,
                            testLimit: Int? = nil) throws(DataError) -> FashionMNIST {
        let root = resolveDirectory(directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError.directoryMissing(path: root)
        }
        func file(_ name: String) throws(DataError) -> String {
            let path = (root as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else { throw DataError.fileMissing(path: path) }
            return path
        }
        let train = try Dataset.load(images: file("train-images-idx3-ubyte.gz"),
                                     labels: file("train-labels-idx1-ubyte.gz"))
        let test = try Dataset.load(images: file("t10k-images-idx3-ubyte.gz"),
                                    labels: file("t10k-labels-idx1-ubyte.gz"))
        guard train.rows == test.rows, train.columns == test.columns else {
            throw DataError.badDimensions(path: root, detail: "training images are \(train.rows)×\(train.columns) "
                                          + "but test images are \(test.rows)×\(test.columns)")
        }
        return FashionMNIST(train: trainLimit.map { train.prefix($0) } ?? train,
                            test: testLimit.map { test.prefix($0) } ?? test)
    }
}
