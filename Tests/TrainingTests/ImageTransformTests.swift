import Foundation
import Testing
@testable import Training
import SweepCore

/// Augmentation as torchvision composes it, checked on images whose answers are known.
@Suite("Augmentation")
struct ImageTransformTests {
    /// A 4×3 image whose every pixel differs: row-major values 10, 20, …, 120.
    static let asymmetric: [UInt8] = (1...12).map { UInt8($0 * 10) }

    static func apply(_ transform: ImageTransform, _ image: [UInt8], rows: Int, columns: Int) -> [UInt8] {
        floats(transform, image, rows: rows, columns: columns).map { UInt8(($0 * 255).rounded()) }
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

    /// The rotation as it was written before its loop moved to C (`sweep_rotate_nearest`), pixel by
    /// pixel in Swift: the kernel must give the same bits.
    static func referenceRotation(_ t: ImageTransform, _ image: [UInt8], rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: -1, count: rows * columns)
        let pixels = rows * columns, scale: Float = 1 / 255
        let padded = image + [0]
        let radians = -t.degrees * Double.pi / 180
        let (c, s) = (cos(radians), sin(radians))
        let (cx, cy) = (Double(columns) / 2, Double(rows) / 2)
        let one = 65_536.0
        let step = t.flipHorizontally ? -1.0 : 1.0
        let x0 = t.flipHorizontally ? Double(columns) - 0.5 - cx : 0.5 - cx
        let dx = Int32((c * step * one).rounded()), dy = Int32((-s * step * one).rounded())
        let (width, height) = (UInt32(columns), UInt32(rows))
        for y in 0..<rows {
            let ry = Double(t.flipVertically ? rows - 1 - y : y) + 0.5 - cy
            var sx = Int32(((c * x0 + s * ry + cx) * one).rounded(.down))
            var sy = Int32(((-s * x0 + c * ry + cy) * one).rounded(.down))
            for x in 0..<columns {
                let ix = sx >> 16, iy = sy >> 16
                let inside = UInt32(bitPattern: ix) < width && UInt32(bitPattern: iy) < height
                out[y * columns + x] = Float(padded[inside ? Int(iy) * columns + Int(ix) : pixels]) * scale
                sx &+= dx
                sy &+= dy
            }
        }
        return out
    }

    static func floats(_ transform: ImageTransform, _ image: [UInt8], rows: Int, columns: Int) -> [Float] {
        var floats = [Float](repeating: -1, count: rows * columns)
        image.withUnsafeBufferPointer { source in
            floats.withUnsafeMutableBufferPointer {
                transform.apply(source.baseAddress!, rows: rows, columns: columns, into: $0.baseAddress!)
            }
        }
        return floats
    }

    @Test func theRotationKernelGivesTheBitsOfThePixelByPixelRule() throws {
        var random = SplitMix64(seed: 9)
        // Real images with the trainer's draws, and large angles whose corners fall outside.
        let data = try FashionMNIST.load(trainLimit: 200, testLimit: 1)
        var compared = 0
        for index in 0..<200 {
            let image = Array(data.train.images[(index * 784)..<((index + 1) * 784)])
            var t = ImageTransform.random(.rotateFlipVFlip, using: &random)
            if index % 4 == 0 { t.degrees = (random.nextUnitDouble() * 2 - 1) * 180 }
            let expected = Self.referenceRotation(t, image, rows: 28, columns: 28)
            #expect(Self.floats(t, image, rows: 28, columns: 28).map(\.bitPattern) == expected.map(\.bitPattern),
                    "image \(index), \(t)")
            compared += 1
        }
        // Other shapes: rows narrower than the kernel's eight lanes, and widths that are not a multiple.
        for (rows, columns) in [(5, 7), (1, 8), (13, 9), (30, 17), (28, 28), (3, 64)] {
            for _ in 0..<20 {
                let image = (0..<(rows * columns)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                let t = ImageTransform(degrees: (random.nextUnitDouble() * 2 - 1) * 180, flipHorizontally: random.next() & 1 == 0,
                                       flipVertically: random.next() & 1 == 0)
                #expect(Self.floats(t, image, rows: rows, columns: columns).map(\.bitPattern)
                        == Self.referenceRotation(t, image, rows: rows, columns: columns).map(\.bitPattern), "\(rows)×\(columns), \(t)")
                compared += 1
            }
        }
        #expect(compared == 320)
        // The check can fail: one pixel off is seen.
        let image = Array(data.train.images[0..<784])
        let t = ImageTransform(degrees: 7, flipHorizontally: false, flipVertically: false)
        var wrong = Self.referenceRotation(t, image, rows: 28, columns: 28)
        wrong[400] += 1 / 255
        #expect(Self.floats(t, image, rows: 28, columns: 28).map(\.bitPattern) != wrong.map(\.bitPattern))
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
