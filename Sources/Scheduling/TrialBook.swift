import Sweeping
import Training
import SweepCore

/// The sweep's trials by position and id: which positions are opened (a cursor opens them in
/// order; a repeated configuration is one trial), who trains each, how many attempts it took, the
/// retry and promotion queues, results held until their rows can be written, pauses, stored
/// checkpoints, and what is recorded. It decides the order work is handed out in (promoted trials,
/// then retries, then new positions) and when a trial is given up on; it knows nothing of workers'
/// liveness, rungs, searchers or files.
///
/// Memory holds what is in flight and what decisions still need: the facade drops a trial once
/// nothing will ask about it again (`forget`); the records stay, so a repeated draw is still known.
struct TrialBook {
    /// One opened trial.
    struct Entry {
        var trial: Trial
        /// Its position.
        var number: Int
        var attempts = 0
        /// The worker training it.
        var holder: WorkerID?
        /// Its result waits for decisions about earlier trials (`held(_:)`).
        var isHeld = false
        /// It is recorded (`record(of:)`).
        var recorded = false
        /// Past the sweep's end: not part of it.
        var beyondEnd = false
        /// Recorded before this scheduler started (its decisions are in its record).
        var recordedBefore = false
        /// Finished epochs in its stored checkpoint (nil: none stored), and whether that holds the final weights.
        var checkpoint: Int?
        var finalStored = false
        /// Paused at the rung of its checkpoint: nobody trains it until that rung is decided.
        var paused = false
        /// Epochs computed for it across attempts, as reported by progress.
        var trained = 0

        var isSettled: Bool { recorded || beyondEnd }
        /// Free to hand out: not settled, no result waiting, nobody training it, not paused.
        var isFree: Bool { !isSettled && !isHeld && holder == nil && !paused }
    }

    private var entries: [String: Entry] = [:]
    private var positions: [Int: String] = [:]
    /// Positions whose configuration an earlier position has: one trial, run once.
    private var duplicates: Set<Int> = []
    private var recordedByID: [String: TrialRecord]
    private var recordedByNumber: [Int: String] = [:]
    /// The next position to open.
    private(set) var cursor = 0
    /// The cursor position last found not recorded (records at the cursor or beyond only come from
    /// the start, so a position found unrecorded stays so).
    private var unrecordedCursor = -1
    private var retries: [String] = []
    /// Paused trials that passed their rung, to continue before anything new, by position.
    private var promotions: [String] = []
    /// A result waiting for decisions about earlier trials, and the workers to acknowledge once it is
    /// recorded or kept (`hold`).
    struct Held {
        var result: TrainingResult
        var deliveries: [WorkerID]
    }

    /// The results that wait, by trial.
    private var held: [String: Held] = [:]
    /// Of those, the ones held or decided about since the settling last looked (`takeResultsToCheck`).
    private var heldToCheck: Set<String> = []
    /// Results received during this input: each is recorded, or kept (`hold`), before its ack.
    private var arrivals: [String] = []
    /// Trials whose worker waits at a rung for word, with the rung.
    private var atRung: [String: Int] = [:]
    /// Stored checkpoints found at the start (their finished epochs), waiting for their trial's position.
    private var storedCheckpoints: [String: [EpochMetrics]]
    /// Trials of this sweep recorded (before this run and during it), and of those, the ones stopped early.
    private(set) var recordedCount: Int
    private(set) var stoppedCount: Int

    /// A book holding `records` (this sweep's, as read) and the stored `checkpoints` (each trial's
    /// finished epochs), none of them opened yet.
    init(records: [TrialRecord], checkpoints: [String: [EpochMetrics]]) {
        recordedByID = Dictionary(records.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for record in records { if let number = record.number { recordedByNumber[number] = record.id } }
        recordedCount = recordedByID.count
        stoppedCount = records.filter { $0.status == .stopped }.count
        storedCheckpoints = checkpoints
    }

    subscript(id: String) -> Entry? { entries[id] }

    /// The id of the trial opened at `position`.
    func id(at position: Int) -> String? { positions[position] }

    /// Whether `id` is recorded (before this run or during it).
    func isRecorded(_ id: String) -> Bool { recordedByID[id] != nil }

    // MARK: - Opening positions

    /// Whether `position` is neither opened nor a repeated configuration.
    func isOpen(_ position: Int) -> Bool { positions[position] == nil && !duplicates.contains(position) }

    /// Moves the cursor past opened and repeated positions below `limit`; the position it stops at, or nil.
    mutating func nextUnopened(limit: Int) -> Int? {
        while cursor < limit {
            if isOpen(cursor) { return cursor }
            cursor += 1
        }
        return nil
    }

    mutating func advanceCursor() { cursor += 1 }

    /// Whether the cursor may stand at a recorded position (it was not found unrecorded there already).
    var mayBeRecordedAtCursor: Bool { cursor != unrecordedCursor }

    /// The cursor's position holds no recorded trial: do not look again.
    mutating func cursorIsUnrecorded() { unrecordedCursor = cursor }

    /// The trial recorded at `position` (rows that carry their position).
    func recorded(at position: Int) -> String? { recordedByNumber[position] }

    /// A recorded trial with configuration `id` whose row carries no position (an older file) and that is not opened.
    func unnumberedRecord(_ id: String) -> String? {
        guard let record = recordedByID[id], record.number == nil, entries[id] == nil else { return nil }
        return id
    }

    /// What the configuration `id`, drawn for `position`, is: a repeat of an opened or recorded trial
    /// at another position, a recorded trial, or new.
    enum Draw { case repeated, recorded, new }

    func draw(_ id: String, at position: Int) -> Draw {
        if entries[id] != nil || recordedByID[id].map({ $0.number != nil && $0.number != position }) == true { return .repeated }
        return recordedByID[id] != nil ? .recorded : .new
    }

    mutating func markRepeated(_ position: Int) { duplicates.insert(position) }

    /// Opens `trial` at `position`; a checkpoint stored before a restart is its: the epochs it holds were
    /// trained (returned, so that early termination can judge the trial on them). `length`: the epochs it
    /// trains, when known in advance.
    mutating func open(_ trial: Trial, at position: Int, length: Int?) -> [EpochMetrics]? {
        var entry = Entry(trial: trial, number: position)
        let stored = storedCheckpoints.removeValue(forKey: trial.id)
        if let epochs = stored {
            entry.checkpoint = epochs.count
            entry.finalStored = length.map { epochs.count >= $0 } ?? false
            entry.trained = epochs.count
        }
        entries[trial.id] = entry
        positions[position] = trial.id
        return stored
    }

    /// The opened trial `id` was recorded before this scheduler started; returns its record.
    mutating func markRecordedBefore(_ id: String) -> TrialRecord {
        entries[id]!.recorded = true
        entries[id]!.recordedBefore = true
        return recordedByID[id]!
    }

    /// The record of recorded trial `id`.
    func record(of id: String) -> TrialRecord? { recordedByID[id] }

    /// How the frontier finds `position`: a repeat (passed), an opened trial that is settled, or
    /// nothing it can pass (nil).
    enum Settled { case repeated, trial(String, TrialRecord?) }

    func settled(at position: Int) -> Settled? {
        if duplicates.contains(position) { return .repeated }
        guard let id = positions[position], let entry = entries[id], entry.isSettled else { return nil }
        return .trial(id, entry.recorded ? recordedByID[id] : nil)
    }

    /// How a position stands for decisions about later ones: not opened, absent (a repeat, or past the
    /// sweep's end), or opened, with whether it ended (recorded, or its whole result is here).
    enum Presence { case unopened, absent, opened(String, Entry) }

    func presence(at position: Int) -> Presence {
        if duplicates.contains(position) { return .absent }
        guard let id = positions[position], let entry = entries[id] else { return .unopened }
        return entry.beyondEnd ? .absent : .opened(id, entry)
    }

    /// Nothing will ask about the trial at `position` again: keep memory to what is in flight (its
    /// record stays, which also tells a repeated draw it was run).
    mutating func forget(_ position: Int, _ id: String) {
        positions[position] = nil
        entries[id] = nil
    }
}

// MARK: - Handing out work

extension TrialBook {
    /// The next promoted trial that is free to hand out, dropping the ones that are not.
    mutating func nextPromotion() -> String? {
        while !promotions.isEmpty {
            let id = promotions.removeFirst()
            if entries[id]?.isFree == true { return id }
        }
        return nil
    }

    /// The next trial to retry that is free to hand out, dropping the ones that are not.
    mutating func nextRetry() -> String? {
        while let id = retries.first {
            retries.removeFirst()
            if entries[id]?.isFree == true { return id }
        }
        return nil
    }

    /// `worker` takes `id`: another attempt.
    mutating func give(_ id: String, to worker: WorkerID) {
        entries[id]!.attempts += 1
        entries[id]!.holder = worker
    }

    /// `worker`, reconnecting, still trains `id`: it keeps it, out of every queue, as at least its first attempt.
    mutating func adopt(_ id: String, by worker: WorkerID) {
        retries.removeAll { $0 == id }
        promotions.removeAll { $0 == id }
        entries[id]!.paused = false
        entries[id]!.holder = worker
        entries[id]!.attempts = max(entries[id]!.attempts, 1)
    }

    /// Nobody trains `id` any more (a result arrived, or another worker's run of it was stopped).
    mutating func clearHolder(_ id: String) { entries[id]!.holder = nil }

    /// What became of a trial whose worker let go of it.
    enum Release { case nothing, requeued, givenUp(Entry) }

    /// `worker` no longer trains `id` (it died, or said hello without it): back to the queue, or, once it
    /// has taken down `maxAttempts` workers, given up on (the caller records it as failed).
    mutating func release(_ id: String, from worker: WorkerID, maxAttempts: Int) -> Release {
        guard let entry = entries[id], entry.holder == worker else { return .nothing }
        entries[id]!.holder = nil
        if entry.isSettled || entry.isHeld { return .nothing }
        if entry.attempts >= maxAttempts { return .givenUp(entry) }
        retries.append(id)
        return .requeued
    }

    /// An epoch of `id` was trained (counted across attempts).
    mutating func trainedEpoch(_ id: String) {
        if let entry = entries[id], !entry.isSettled { entries[id]!.trained += 1 }
    }

    // MARK: - Checkpoints and pauses

    /// A checkpoint of `id` after `epochs` epochs arrived; true if it replaces the stored one (it is not older).
    mutating func checkpoint(_ id: String, epochs: Int, length: Int?) -> Bool {
        guard epochs >= (entries[id]!.checkpoint ?? 0) else { return false }
        entries[id]!.checkpoint = epochs
        entries[id]!.finalStored = epochs >= length ?? Int.max
        return true
    }

    /// The stored checkpoint of `id` is gone (or became its model).
    mutating func dropCheckpoint(_ id: String) { entries[id]!.checkpoint = nil }

    /// The worker training `id` waits at rung `epoch` for word.
    mutating func waitsAtRung(_ id: String, _ epoch: Int) { atRung[id] = epoch }

    /// The trials whose workers wait at a rung, by id, taken.
    mutating func takeWaitingAtRungs() -> [(id: String, rung: Int)] {
        defer { atRung.removeAll() }
        return atRung.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `id` pauses at the rung of its checkpoint; if its worker waited there, it is free.
    mutating func pause(_ id: String) {
        entries[id]!.holder = nil
        entries[id]!.paused = true
    }

    /// `id` passed rung `rung`: if it is paused there, it goes to the promotion queue (by position) and true.
    mutating func promote(_ id: String, at rung: Int) -> Bool {
        guard let entry = entries[id], entry.paused && entry.checkpoint == rung else { return false }
        entries[id]!.paused = false
        let at = promotions.firstIndex { entries[$0].map { $0.number > entry.number } ?? false } ?? promotions.endIndex
        promotions.insert(id, at: at)
        return true
    }

    /// `id` will never run again (stopped while nobody trained it): out of every queue.
    mutating func unqueue(_ id: String) {
        entries[id]!.paused = false
        promotions.removeAll { $0 == id }
        retries.removeAll { $0 == id }
    }

    // MARK: - Results

    /// A result for `id`, from `worker`, waits for decisions about earlier trials (or for this input's end).
    mutating func hold(_ id: String, _ result: TrainingResult, from worker: WorkerID) {
        entries[id]!.isHeld = true
        held[id] = Held(result: result, deliveries: [worker])
        heldToCheck.insert(id)
        arrivals.append(id)
    }

    /// A result held before a restart (`held.jsonl`).
    mutating func restoreHeld(_ id: String, _ result: TrainingResult) {
        entries[id]!.isHeld = true
        held[id] = Held(result: result, deliveries: [])
        heldToCheck.insert(id)
    }

    /// The result of `id` that waits, if any.
    func held(_ id: String) -> Held? { held[id] }
    /// How many results are held.
    var heldCount: Int { held.count }

    /// The same result again from `worker`: true if it is acknowledged now (the first result is kept
    /// already); else it is acknowledged with the first.
    mutating func deliveredAgain(_ id: String, by worker: WorkerID) -> Bool? {
        guard !held[id]!.deliveries.contains(worker) else { return nil }
        if held[id]!.deliveries.isEmpty { return true }
        held[id]!.deliveries.append(worker)
        return false
    }

    /// The trials whose results wait, by id.
    var waitingResults: [String] { held.keys.sorted() }

    /// A decision about `id` was taken: if its result waits, it may be recordable now.
    mutating func decided(_ id: String) { if held[id] != nil { heldToCheck.insert(id) } }

    /// The waiting results that may have become recordable since the last call, by id, taken: the
    /// ones held since, or decided about since (a waiting result waits for decisions about it only).
    /// With thousands of workers the results waiting are many: each input looks at the few it changed.
    mutating func takeResultsToCheck() -> [String] {
        defer { heldToCheck.removeAll(keepingCapacity: true) }
        return heldToCheck.filter { held[$0] != nil }.sorted()
    }

    /// The results that arrived during this input and still wait, taken: each to keep durably and
    /// acknowledge to its workers now.
    mutating func takeArrivals() -> [(id: String, number: Int, result: TrainingResult, deliveries: [WorkerID])] {
        defer { arrivals.removeAll() }
        var kept: [(id: String, number: Int, result: TrainingResult, deliveries: [WorkerID])] = []
        for id in arrivals {
            guard let entry = entries[id], let waiting = held[id], !waiting.deliveries.isEmpty else { continue }
            kept.append((id, entry.number, waiting.result, waiting.deliveries))
            held[id]!.deliveries = []
        }
        return kept
    }

    /// The held result of `id` is taken (to record it); returns it and the workers to acknowledge.
    mutating func takeHeld(_ id: String) -> Held {
        entries[id]!.isHeld = false
        return held.removeValue(forKey: id)!
    }

    /// `id`'s held result cannot stand (cut at a rung this sweep passed): it runs again.
    mutating func retry(_ id: String) { retries.append(id) }

    /// `id` is recorded as `record`.
    mutating func record(_ id: String, _ record: TrialRecord) {
        entries[id]!.recorded = true
        entries[id]!.holder = nil
        if record.status == .failed { retries.removeAll { $0 == id } }
        recordedByID[id] = record
        recordedCount += 1
        if record.status == .stopped { stoppedCount += 1 }
    }

    // MARK: - The sweep's end

    /// What the end of the sweep did to one trial past it.
    struct Cut {
        var id: String
        /// The worker that trained it (to stop), and the workers whose results to acknowledge.
        var holder: WorkerID?
        var acknowledge: [WorkerID]
        /// Its record, now not part of the sweep.
        var record: TrialRecord?
        /// It had a stored checkpoint (now to remove).
        var hadCheckpoint: Bool
    }

    /// Every trial from position `number` on is past the sweep's end: not part of it; in position order.
    mutating func cut(from number: Int) -> [Cut] {
        var cuts: [Cut] = []
        for (id, entry) in entries where entry.number >= number && !entry.beyondEnd {
            let waiting = held.removeValue(forKey: id)
            let record = entry.recorded ? recordedByID[id] : nil
            cuts.append(Cut(id: id, holder: entry.holder, acknowledge: waiting?.deliveries ?? [], record: record,
                            hadCheckpoint: entry.checkpoint != nil))
            if let record {
                recordedCount -= 1
                if record.status == .stopped { stoppedCount -= 1 }
            }
            entries[id]!.checkpoint = nil
            entries[id]!.beyondEnd = true
            entries[id]!.isHeld = false
            entries[id]!.holder = nil
        }
        retries.removeAll { entries[$0]?.beyondEnd ?? true }
        promotions.removeAll { entries[$0]?.beyondEnd ?? true }
        return cuts.sorted { entries[$0.id]!.number < entries[$1.id]!.number }
    }
}
