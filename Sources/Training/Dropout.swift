import SweepCore
/// Inverted dropout whose mask is a counter-based hash of (seed, step, layer, element), so it needs
/// no stored random state, costs a few multiplies per element, and is the same on every replay.
public struct Dropout: Sendable {
    /// The probability of zeroing a unit.
    public let probability: Float
    /// What a kept unit is multiplied by, 1 / (1 − p).
    public let scale: Float
    /// Hash values below this are dropped.
    let threshold: UInt32
    /// Per-step key: fixes the masks of one training step.
    let key: UInt64

    /// The masks of training step `step` of a run seeded by `seed`, dropping with probability `probability`.
    public init(probability: Double, seed: UInt64, step: Int) {
        self.probability = Float(probability)
        self.scale = Float(1 / (1 - probability))
        self.threshold = UInt32(min(probability * 4_294_967_296.0, 4_294_967_295.0))
        self.key = SplitMix64.mix(seed ^ SplitMix64.mix(RandomStream.dropout.rawValue &* 0x9E37_79B9_7F4A_7C15
                                                        &+ UInt64(step)))
    }

    /// The key of one layer's mask.
    @inline(__always)
    func layerKey(_ layer: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: SplitMix64.mix(key &+ UInt64(layer) &* 0xD6E8_FEB8_6659_FD93) >> 32)
    }

    /// Whether element `index` of the layer with key `layerKey` is kept: murmur3's 32-bit finaliser
    /// of (key + index·φ). 32-bit lanes let the compiler vectorise the mask with the ReLU.
    @inline(__always)
    static func keeps(layerKey: UInt32, index: Int, threshold: UInt32) -> Bool {
        var h = layerKey &+ UInt32(truncatingIfNeeded: index) &* 0x9E37_79B9
        h = (h ^ (h >> 16)) &* 0x85EB_CA6B
        h = (h ^ (h >> 13)) &* 0xC2B2_AE35
        h ^= h >> 16
        return h >= threshold
    }

    /// `keeps` for the eight elements from `firstIndex` on, with the same hash lane by lane.
    @inline(__always)
    static func keeps8(layerKey: UInt32, firstIndex: Int, threshold: UInt32) -> SIMDMask<SIMD8<Int32>> {
        let lanes = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        var h = SIMD8(repeating: layerKey)
            &+ (SIMD8(repeating: UInt32(truncatingIfNeeded: firstIndex)) &+ lanes) &* 0x9E37_79B9
        h = (h ^ (h &>> 16)) &* 0x85EB_CA6B
        h = (h ^ (h &>> 13)) &* 0xC2B2_AE35
        h ^= h &>> 16
        return h .>= SIMD8(repeating: threshold)
    }
}
