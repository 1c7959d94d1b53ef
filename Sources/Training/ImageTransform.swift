import CKernels
import Foundation
import SweepCore

/// One image's random augmentation, applied while the bytes are converted to floats:
/// torchvision's `RandomRotation` (nearest neighbour, fill 0, about the centre, as PIL's
/// `Image.rotate` samples), then the horizontal and the vertical flip.
public struct ImageTransform: Sendable, Equatable {
    /// Counter-clockwise rotation in degrees.
    public var degrees: Double
    /// Mirror left–right (after rotating).
    public var flipHorizontally: Bool
    /// Mirror top–bottom (after rotating and the horizontal flip).
    public var flipVertically: Bool

    /// The transform that changes nothing.
    public static let identity = ImageTransform(degrees: 0, flipHorizontally: false, flipVertically: false)

    /// Creates a transform.
    public init(degrees: Double, flipHorizontally: Bool, flipVertically: Bool) {
        self.degrees = degrees
        self.flipHorizontally = flipHorizontally
        self.flipVertically = flipVertically
    }

    /// Draws a transform for `augmentation` in torchvision's order: angle, then each flip with p = ½.
    public static func random(_ augmentation: Augmentation, using random: inout SplitMix64) -> ImageTransform {
        var transform = ImageTransform.identity
        if augmentation.rotates {
            transform.degrees = (random.nextUnitDouble() * 2 - 1) * Augmentation.maxDegrees
        }
        if augmentation.flipsHorizontally { transform.flipHorizontally = random.nextUnitFloat() < 0.5 }
        if augmentation.flipsVertically { transform.flipVertically = random.nextUnitFloat() < 0.5 }
        return transform
    }

    /// Writes `source` (`rows × columns` bytes) transformed into `destination` as floats scaled to [0, 1].
    public func apply(_ source: UnsafePointer<UInt8>, rows: Int, columns: Int,
                      into destination: UnsafeMutablePointer<Float>) {
        let scale: Float = 1 / 255
        if degrees == 0 {
            // Flips only: a row is read forwards or backwards, no arithmetic per pixel.
            for y in 0..<rows {
                let sourceRow = source + (flipVertically ? rows - 1 - y : y) * columns
                let out = destination + y * columns
                if flipHorizontally {
                    for x in 0..<columns { out[x] = Float(sourceRow[columns - 1 - x]) * scale }
                } else {
                    for x in 0..<columns { out[x] = Float(sourceRow[x]) * scale }
                }
            }
            return
        }
        // PIL maps each output pixel centre back into the input with the inverse rotation about
        // (w/2, h/2) and takes the pixel it lands in; outside the image is fill 0. Along an output row
        // the source point moves linearly, so it is stepped in 16.16 fixed point: an arithmetic shift
        // floors exactly, with no float-to-int conversion (and its range checks) per pixel. Here each
        // row's starting point is computed; `sweep_rotate_nearest` steps along the rows.
        let pixels = rows * columns
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: pixels + 4) { local in
            // One sequential copy first: the rotated reads then hit L1 instead of missing to memory
            // along a diagonal of an image that was just picked at random from 47 MB. The fill pixel
            // follows it, padded so that a 4-byte gather there stays inside the buffer.
            let image = local.baseAddress!
            image.update(from: source, count: pixels)
            (image + pixels).initialize(repeating: 0, count: 4)
            let radians = -degrees * Double.pi / 180
            let (c, s) = (cos(radians), sin(radians))
            let (cx, cy) = (Double(columns) / 2, Double(rows) / 2)
            let one = 65_536.0
            // rx = x' + 0.5 − cx where x' is the (flipped) output column: rx = x0 + step·x.
            let step = flipHorizontally ? -1.0 : 1.0
            let x0 = flipHorizontally ? Double(columns) - 0.5 - cx : 0.5 - cx
            let dx = Int32((c * step * one).rounded()), dy = Int32((-s * step * one).rounded())
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * rows) { starts in
                let rowX = starts.baseAddress!, rowY = starts.baseAddress! + rows
                for y in 0..<rows {
                    let ry = Double(flipVertically ? rows - 1 - y : y) + 0.5 - cy
                    rowX[y] = Int32(((c * x0 + s * ry + cx) * one).rounded(.down))
                    rowY[y] = Int32(((-s * x0 + c * ry + cy) * one).rounded(.down))
                }
                sweep_rotate_nearest(image, Int32(rows), Int32(columns), rowX, rowY, dx, dy, scale, destination)
            }
        }
    }
}
