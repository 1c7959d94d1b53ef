import Testing
@testable import Training

/// Augmentation as torchvision composes it, checked on images whose answers are known.
@Suite("Augmentation")
struct ImageTransformTests {
    /// A 4×3 image whose every pixel differs: row-major values 10, 20, …, 120.
    static let asymmetric: [UInt8] = (1...12).map { UInt8($0 * 10) }

    static func apply(_ transform: ImageTransform, _ image: [UInt8], rows: Int, columns: Int) -> [UInt8] {
        var floats = [Float](repeating: -1, count: rows * columns)
        image.withUnsafeBufferPointer { source in
            floats.withUnsafeMutableBufferPointer {
                transform.apply(source.baseAddress!, rows: rows, columns: columns, into: $0.baseAddress!)
            }
        }
        return floats.map { UInt8(($0 * 255).rounded()) }
    }

    @Test func flipsMirrorAKnownAsymmetricImage() {
        let h = Self.apply(.init(degrees: 0, flipHorizontally: true, flipVertically: false), Self.asymmetric, rows: 4, columns: 3)
        #expect(h == [30, 20, 10, 60, 50, 40, 90, 80, 70, 120, 110, 100])
        let v = Self.apply(.init(degrees: 0, flipHorizontally: false, flipVertically: true), Self.asymmetric, rows: 4, columns: 3)
        #expect(v == [100, 110, 120, 70, 80, 90, 40, 50, 60, 10, 20, 30])
    }

    @Test(arguments: [(true, false), (false, true), (true, true)])
    func flippingTwiceIsTheIdentity(horizontal: Bool, vertical: Bool) {
        let flip = ImageTransform(degrees: 0, flipHorizontally: horizontal, flipVertically: vertical)
        let once = Self.apply(flip, Self.asymmetric, rows: 4, columns: 3)
        #expect(once != Self.asymmetric)
        #expect(Self.apply(flip, once, rows: 4, columns: 3) == Self.asymmetric)
    }

    @Test func rotationByZeroDegreesIsTheIdentity() {
        let image = (0..<(28 * 28)).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        #expect(Self.apply(.identity, image, rows: 28, columns: 28) == image)
        // A rotation so small that no pixel centre changes cell takes the rotation code path and agrees.
        #expect(Self.apply(.init(degrees: 1e-9, flipHorizontally: false, flipVertically: false), image,
                           rows: 28, columns: 28) == image)
    }

    @Test func positiveAnglesTurnCounterClockwiseAboutTheCentre() {
        // One lit pixel at the top right of a 4×4 image; 90° counter-clockwise takes it to the top left.
        var image = [UInt8](repeating: 0, count: 16)
        image[3] = 255
        let turned = Self.apply(.init(degrees: 90, flipHorizontally: false, flipVertically: false), image, rows: 4, columns: 4)
        #expect(turned[0] == 255)
        #expect(turned.filter { $0 != 0 }.count == 1)
        // 180° is both flips.
        let half = Self.apply(.init(degrees: 180, flipHorizontally: false, flipVertically: false), Self.asymmetric + Self.asymmetric.prefix(4), rows: 4, columns: 4)
        let flips = Self.apply(.init(degrees: 0, flipHorizontally: true, flipVertically: true), Self.asymmetric + Self.asymmetric.prefix(4), rows: 4, columns: 4)
        #expect(half == flips)
    }

    @Test(arguments: [-10.0, -4.5, 3.0, 10.0])
    func rotatingARealImageKeepsItsInkPlausible(degrees: Double) throws {
        let data = try FashionMNIST.load(trainLimit: 20, testLimit: 1)
        for index in 0..<20 {
            let image = Array(data.train.images[(index * 784)..<((index + 1) * 784)])
            let rotated = Self.apply(.init(degrees: degrees, flipHorizontally: false, flipVertically: false),
                                     image, rows: 28, columns: 28)
            let (before, after) = (image.filter { $0 > 0 }.count, rotated.filter { $0 > 0 }.count)
            // Nearest-neighbour rotation moves pixels, it neither creates nor erases much ink:
            // the corners it cuts off are background in FashionMNIST.
            #expect(abs(after - before) <= before / 10 + 4, "image \(index): \(before) lit pixels became \(after)")
            #expect(rotated != image, "image \(index) did not change")
        }
    }

    @Test func drawsFollowTheConfiguredAugmentation() {
        var random = SplitMix64(seed: 1)
        var angles: [Double] = [], horizontal = 0, vertical = 0
        for _ in 0..<2000 {
            let t = ImageTransform.random(.rotateFlipVFlip, using: &random)
            angles.append(t.degrees)
            horizontal += t.flipHorizontally ? 1 : 0
            vertical += t.flipVertically ? 1 : 0
        }
        #expect(angles.allSatisfy { abs($0) <= 10 })
        #expect(angles.min()! < -9.5 && angles.max()! > 9.5)
        #expect((900...1100).contains(horizontal) && (900...1100).contains(vertical))
        let flipOnly = ImageTransform.random(.flip, using: &random)
        #expect(flipOnly.degrees == 0 && !flipOnly.flipVertically)
        #expect(ImageTransform.random(.none, using: &random) == .identity)
    }
}
