#if canImport(Glibc)
import Glibc
#endif
import SystemCalls
import Sweeping
import Training
import SweepCore

/// The checkpoints and kept models of one sweep, beside its CSVs: `checkpoints/<trial>.ckpt` (the
/// latest checkpoint of each unfinished trial) and `models/<trial>.safetensors` (the final weights of
/// the best trials). Every file is replaced atomically and durably (temporary file, fsync, rename,
/// fsync of the folder), so a crash leaves the old file or the new one, whole. Written only by the
/// coordinator holding the results folder's lock.
public struct CheckpointStore: Sendable {
    /// The results folder, e.g. `Results/quickstart`.
    public let directory: String

    /// The store inside `directory` (its folders are made when first written).
    public init(directory: String) {
        self.directory = directory
    }

    /// `checkpoints/` and `models/` in the results folder.
    public var checkpointsFolder: String { ResultsDirectory(directory).checkpoints }
    public var modelsFolder: String { ResultsDirectory(directory).models }

    /// Where the checkpoint of `trial` goes.
    public func checkpointPath(_ trial: String) -> String { checkpointsFolder + "/" + CheckpointStore.safe(trial) + ".ckpt" }
    /// Where the model of `trial` goes.
    public func modelPath(_ trial: String) -> String { modelsFolder + "/" + CheckpointStore.safe(trial) + ".safetensors" }

    /// Trial ids are hex digests; anything else (from a hostile peer) never becomes a path outside the folder.
    private static func safe(_ trial: String) -> String {
        String(trial.unicodeScalars.map { ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) ? Character($0) : "_" })
    }

    /// Keeps `bytes` as the checkpoint of `trial`, replacing the earlier one.
    public func write(_ bytes: [UInt8], trial: String) throws(StoreError) {
        do {
            try Directory.create(checkpointsFolder)
            try Directory.replace(checkpointPath(trial), with: bytes)
        } catch {
            throw .system(error)
        }
    }

    /// The stored checkpoint of `trial`, checked; throws a one-line reason when it is missing or bad.
    public func read(_ trial: String) throws -> TrainingCheckpoint {
        let bytes = try FileDescriptor(path: checkpointPath(trial), flags: O_RDONLY).readAll()
        return try TrainingCheckpoint(decoding: bytes)
    }

    /// The stored checkpoint's bytes, checked.
    public func bytes(_ trial: String) throws -> [UInt8] {
        let bytes = try FileDescriptor(path: checkpointPath(trial), flags: O_RDONLY).readAll()
        _ = try TrainingCheckpoint(decoding: bytes)
        return bytes
    }

    /// Deletes the checkpoint of `trial` (none is fine).
    public func remove(_ trial: String) throws(StoreError) {
        do {
            try Directory.remove(checkpointPath(trial))
        } catch {
            throw .system(error)
        }
    }

    /// Turns the final checkpoint of `trial` into `models/<trial>.safetensors`, then deletes the checkpoint.
    public func keepModel(_ trial: String) throws {
        let checkpoint = try read(trial)
        do {
            try Directory.create(modelsFolder)
            try Directory.replace(modelPath(trial), with: SafeTensors.encode(checkpoint))
        } catch {
            throw StoreError.system(error)
        }
        try remove(trial)
    }

    /// Deletes the model of `trial` (none is fine).
    public func removeModel(_ trial: String) throws(StoreError) {
        do {
            try Directory.remove(modelPath(trial))
        } catch {
            throw .system(error)
        }
    }

    /// The trials with a kept model.
    public func models() -> Set<String> {
        let names = (try? Directory.list(modelsFolder)) ?? []
        return Set(names.filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) })
    }

    /// Every stored checkpoint's finished epochs, by trial. One that cannot be read, or that `belongs`
    /// says is not its trial's (by default: its configuration's id is not the file's), is renamed to
    /// `<trial>.ckpt.corrupt` (kept for a look, never resumed from), reported through `warn`, and its
    /// trial starts from scratch.
    public func checkpoints(warn: (String) -> Void,
                            belongs: (String, TrainingConfig) -> Bool = { $1.trialID == $0 }) -> [String: [EpochMetrics]] {
        var found: [String: [EpochMetrics]] = [:]
        for name in (try? Directory.list(checkpointsFolder)) ?? [] {
            if name.hasSuffix(".ckpt.tmp") {
                try? Directory.remove(checkpointsFolder + "/" + name)  // a write a crash cut short
                continue
            }
            guard name.hasSuffix(".ckpt") else { continue }
            let trial = String(name.dropLast(".ckpt".count))
            do {
                let checkpoint = try read(trial)
                guard belongs(trial, checkpoint.config) else {
                    throw CheckpointError.foreign("it holds trial \(checkpoint.config.trialID)")
                }
                found[trial] = checkpoint.epochs
            } catch {
                warn("\(checkpointPath(trial)): \(error); set aside as .corrupt, the trial starts from scratch")
                try? Directory.rename(checkpointPath(trial), to: checkpointPath(trial) + ".corrupt")
            }
        }
        return found
    }
}
