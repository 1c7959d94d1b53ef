/// Training-time data augmentation, as torchvision composes it.
public enum Augmentation: String, CaseIterable, Codable, Hashable, Sendable {
    /// No augmentation.
    case none
    /// `RandomHorizontalFlip()`.
    case flip
    /// `RandomRotation(10)`, then `RandomHorizontalFlip()`.
    case rotateFlip = "rotate_flip"
    /// `RandomRotation(10)`, `RandomHorizontalFlip()`, then `RandomVerticalFlip()`.
    case rotateFlipVFlip = "rotate_flip_vflip"

    /// Whether images are rotated by up to ±`maxDegrees`.
    public var rotates: Bool { self == .rotateFlip || self == .rotateFlipVFlip }
    /// Whether images are mirrored left–right with probability ½.
    public var flipsHorizontally: Bool { self != .none }
    /// Whether images are mirrored top–bottom with probability ½.
    public var flipsVertically: Bool { self == .rotateFlipVFlip }

    /// The rotation range of torchvision's `RandomRotation(10)`.
    public static let maxDegrees = 10.0
}
