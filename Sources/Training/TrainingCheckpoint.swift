import CZlib
import Foundation
import SweepCore

/// The whole state of a training run between two minibatches: weights and biases, the optimiser's
/// state buffers and step count, the position in the epoch's shuffled order, the epoch's running loss,
/// the augmentation generator's state and the epochs finished so far. Resuming from it and training on
/// gives figures bit-identical to never having stopped (the shuffle and dropout masks are functions of
/// the seed, the epoch and the step, so they need no stored state).
///
/// Format (version 1), little-endian:
///
///     "SWCK"  UInt32 version  UInt32 header length H  header (H bytes of JSON)
///     parameters (float32 × parameter_count)  buffers × (float32 × parameter_count)
///
/// `buffers` is the header's count of optimiser state buffers (`Optimizer.stateBufferCount`); a header
/// without it (written before other optimisers than SGD) has `velocity`: one buffer if true.
///     UInt32 CRC-32 (zlib's) of every byte before it
public struct TrainingCheckpoint: Equatable, Sendable {
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
    private static let magic: [UInt8] = Array("SWCK".utf8)

    /// The configuration being trained.
    public var config: TrainingConfig
    /// The network's widths, input first.
    public var layerSizes: [Int]
    /// The epochs finished, in order.
    public var epochs: [EpochMetrics]
    /// The epoch in progress, 1-based (`epochs.count + 1`; past the last epoch once all ran).
    public var epoch: Int
    /// How many images of this epoch's shuffled order are trained on.
    public var sample: Int
    /// This epoch's minibatch losses so far, summed, and how many there were.
    public var lossTotal: Double
    public var batches: Int
    /// The augmentation generator's state at `sample`.
    public var augmentState: UInt64
    /// Optimiser steps taken (it keys dropout masks and tells momentum's first step).
    public var steps: Int
    /// Every weight and bias, laid out as `MLP.parameters`.
    public var parameters: [Float]
    /// The optimiser's state buffers (`Optimizer.stateValues`), each laid out the same way.
    public var optimizerState: [[Float]]

    /// Creates a checkpoint from its parts.
    public init(config: TrainingConfig, layerSizes: [Int], epochs: [EpochMetrics], epoch: Int, sample: Int, lossTotal: Double,
                batches: Int, augmentState: UInt64, steps: Int, parameters: [Float], optimizerState: [[Float]]) {
        self.config = config
        self.layerSizes = layerSizes
        self.epochs = epochs
        self.epoch = epoch
        self.sample = sample
        self.lossTotal = lossTotal
        self.batches = batches
        self.augmentState = augmentState
        self.steps = steps
        self.parameters = parameters
        self.optimizerState = optimizerState
    }

    /// Whether every epoch has run: the final weights.
    public var isFinal: Bool { epochs.count >= config.epochs }

    /// The number of weights and biases of a network of these widths.
    public static func parameterCount(layerSizes sizes: [Int]) -> Int {
        zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.1 * $1.0 + $1.1 }
    }

    /// The most bytes a checkpoint of `config` can take: its tensors, a generous header with every epoch,
    /// the fixed parts. Readers refuse anything larger before buffering it.
    public static func maximumSize(for config: TrainingConfig) -> Int {
        let epochs = min(max(config.epochs, 0), 1 << 24)
        let tensors = 1 + Optimizer.stateBufferCount(config)
        return 64 * 1024 + 512 * epochs
            + 4 * tensors * parameterCount(layerSizes: [FashionMNIST.pixelsPerImage] + config.hidden + [FashionMNIST.classes]) + 16
    }

    private struct Header: Codable {
        var config: TrainingConfig
        var layerSizes: [Int]
        var parameterCount: Int
        var velocity: Bool
        /// Optimiser state buffers (absent in checkpoints written before Adam and RMSprop).
        var buffers: Int?
        var epochs: [EpochMetrics]
        var epoch: Int
        var sample: Int
        /// Bit patterns in hex: JSON numbers need not round-trip every Double or UInt64.
        var lossTotalBits: String
        var batches: Int
        var augmentState: String
        var steps: Int

        enum CodingKeys: String, CodingKey {
            case config, layerSizes = "layer_sizes", parameterCount = "parameter_count", velocity, buffers, epochs, epoch
            case sample, lossTotalBits = "loss_total_bits", batches, augmentState = "augment_state", steps
        }
    }

    private static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    /// The bytes of this checkpoint in the format above.
    public func encoded() -> [UInt8] {
        let header = Header(config: config, layerSizes: layerSizes, parameterCount: parameters.count,
                            velocity: !optimizerState.isEmpty, buffers: optimizerState.count, epochs: epochs, epoch: epoch, sample: sample,
                            lossTotalBits: String(lossTotal.bitPattern, radix: 16), batches: batches,
                            augmentState: String(augmentState, radix: 16), steps: steps)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: Self.nonFinite.positiveInfinity, negativeInfinity: Self.nonFinite.negativeInfinity,
            nan: Self.nonFinite.nan)
        // Plain values with the strategy above always encode.
        let json = Array(try! encoder.encode(header))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16 + json.count + 4 * parameters.count * (1 + optimizerState.count))
        bytes += Self.magic
        append(Self.formatVersion, to: &bytes)
        append(UInt32(json.count), to: &bytes)
        bytes += json
        append(parameters, to: &bytes)
        for buffer in optimizerState { append(buffer, to: &bytes) }
        append(Self.crc32(bytes[...]), to: &bytes)
        return bytes
    }

    /// Parses and checks `bytes`: magic, version, checksum, layout and header values.
    public init(decoding bytes: [UInt8]) throws(CheckpointError) {
        guard bytes.count >= 16 else { throw .truncated(bytes: bytes.count) }
        guard Array(bytes[0..<4]) == Self.magic else { throw .notACheckpoint }
        let version = Self.read(UInt32.self, bytes, at: 4)
        guard version == Self.formatVersion else { throw .unsupportedVersion(version) }
        let stored = Self.read(UInt32.self, bytes, at: bytes.count - 4)
        let computed = Self.crc32(bytes[..<(bytes.count - 4)])
        guard stored == computed else { throw .checksumMismatch(stored: stored, computed: computed) }
        let headerLength = Int(Self.read(UInt32.self, bytes, at: 8))
        guard headerLength <= bytes.count - 16 else {
            throw .badLayout("header of \(headerLength) bytes in a file of \(bytes.count)")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: Self.nonFinite.positiveInfinity, negativeInfinity: Self.nonFinite.negativeInfinity,
            nan: Self.nonFinite.nan)
        let header: Header
        do {
            header = try decoder.decode(Header.self, from: Data(bytes[12..<(12 + headerLength)]))
        } catch {
            throw .badHeader("\(error)")
        }
        do {
            try header.config.validate()
        } catch {
            throw .badHeader("\(error)")
        }
        let count = header.parameterCount
        let sizes = header.layerSizes
        guard sizes.count == header.config.hidden.count + 2, Array(sizes.dropFirst().dropLast()) == header.config.hidden,
              sizes.last == FashionMNIST.classes, (1...(1 << 16)).contains(sizes[0]),
              count == Self.parameterCount(layerSizes: sizes)
        else { throw .badHeader("layers \(header.layerSizes) with \(count) parameters do not match hidden \(header.config.hidden)") }
        let buffers = header.buffers ?? (header.velocity ? 1 : 0)
        guard buffers == Optimizer.stateBufferCount(header.config) else {
            throw .badHeader("\(buffers) optimiser state buffers, where \(header.config.optimizer.rawValue) with momentum "
                             + "\(header.config.momentum) keeps \(Optimizer.stateBufferCount(header.config))")
        }
        let tensors = (1 + buffers) * 4 * count
        guard 12 + headerLength + tensors + 4 == bytes.count else {
            throw .badLayout("\(bytes.count) bytes where the header promises \(16 + headerLength + tensors)")
        }
        guard header.epoch >= 1, header.epoch <= header.config.epochs + 1, header.epochs.count == header.epoch - 1,
              header.epochs.enumerated().allSatisfy({ $0.element.epoch == $0.offset + 1 }),
              header.sample >= 0, header.batches >= 0, header.steps >= 0,
              let lossBits = UInt64(header.lossTotalBits, radix: 16), let augment = UInt64(header.augmentState, radix: 16)
        else { throw .badHeader("epoch \(header.epoch) with \(header.epochs.count) finished, sample \(header.sample)") }
        config = header.config
        layerSizes = sizes
        epochs = header.epochs
        epoch = header.epoch
        sample = header.sample
        lossTotal = Double(bitPattern: lossBits)
        batches = header.batches
        augmentState = augment
        steps = header.steps
        let start = 12 + headerLength
        parameters = Self.floats(bytes, from: start, count: count)
        optimizerState = (0..<buffers).map { Self.floats(bytes, from: start + 4 * count * ($0 + 1), count: count) }
    }

    // MARK: - Bytes

    private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    private func append(_ values: [Float], to bytes: inout [UInt8]) {
        #if _endian(big)
        for value in values { append(value.bitPattern, to: &bytes) }
        #else
        values.withUnsafeBytes { bytes += $0 }
        #endif
    }

    private static func read<T: FixedWidthInteger>(_: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: bytes[offset..<(offset + MemoryLayout<T>.size)]) }
        return T(littleEndian: value)
    }

    private static func floats(_ bytes: [UInt8], from start: Int, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                #if _endian(big)
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * i, as: UInt32.self)))
                }
                #else
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * count)]))
                #endif
            }
            initialized = count
        }
    }

    /// zlib's CRC-32 of `bytes`.
    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            var crc: uLong = CZlib.crc32(0, nil, 0)
            var offset = 0
            while offset < buffer.count {
                let length = min(buffer.count - offset, 1 << 30)
                crc = CZlib.crc32(crc, buffer.baseAddress! + offset, uInt(length))
                offset += length
            }
            return UInt32(truncatingIfNeeded: crc)
        }
    }
}
