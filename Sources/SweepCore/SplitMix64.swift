/// A seeded SplitMix64 generator: tiny, fast, and bit-identical on every machine.
///
/// The standard library's `shuffle(using:)` and `random(in:using:)` are free to change their
/// algorithms between toolchains, so everything that must be reproducible draws through the
/// helpers here instead.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator's whole state.
    public var state: UInt64

    /// Creates a generator whose stream is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// Creates a generator for one named stream of a seed (initialisation, shuffling of one epoch, …).
    public init(seed: UInt64, stream: UInt64, index: UInt64 = 0) {
        state = SplitMix64.mix(seed ^ SplitMix64.mix(stream &* 0xD1B5_4A32_D192_ED03 &+ index))
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// A uniform `Float` in [0, 1), from the top 24 bits.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform `Double` in [0, 1), from the top 53 bits.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform `Double` in the open interval (0, 1): the midpoint of one of 2⁵³ equal cells, so that
    /// quantile functions never see 0 or 1.
    public mutating func nextOpenUnit() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift; bias below 2⁻³²).
    public mutating func nextIndex(below bound: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Shuffles `buffer` in place with Fisher–Yates.
    public mutating func shuffle(_ buffer: UnsafeMutableBufferPointer<Int32>) {
        var i = buffer.count - 1
        while i > 0 {
            let j = nextIndex(below: i + 1)
            buffer.swapAt(i, j)
            i -= 1
        }
    }

    /// The SplitMix64 finaliser: a bijective, well-mixed hash of 64 bits.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
