import Sweeping
import Training
import SweepCore

/// Handing out trials: which trial a worker gets (promoted trials, retries, then new positions as
/// the searcher proposes them), how it trains it, and claims by workers of an earlier coordinator.
extension Scheduler {
    /// What `assign` did: gave the worker a trial, passed over it (it cannot take one), or found no
    /// work for anyone (and whether that is a wait for a proposal).
    enum Handout { case given, passedOver, none(waiting: Bool) }

    /// Gives `worker` its next trial, if it can take one and there is one.
    @discardableResult
    mutating func assign(_ worker: WorkerID, now: Duration) -> Handout {
        guard now >= holdUntil else { return .none(waiting: false) }
        guard registry.canTake(worker) else { return .passedOver }
        var next: String?
        // Promoted trials first (they hold up decisions about later ones), then retries, then new positions.
        if let promoted = book.nextPromotion() { next = promoted }
        while next == nil, let retry = book.nextRetry() {
            if !pauseIfUndecided(retry) { next = retry }
        }
        while next == nil {
            switch openNext() {
            case .trial(let id):
                if !pauseIfUndecided(id) { next = id }
            case .waiting:
                registry.startWaiting(worker, now: now)
                return .none(waiting: true)
            case .exhausted:
                return .none(waiting: false)
            }
        }
        guard let id = next else { return .none(waiting: false) }
        registry.give(id, to: worker, now: now)
        book.give(id, to: worker)
        let entry = book[id]!
        var resume = entry.checkpoint.flatMap { $0 > 0 ? $0 : nil }
        // A stretch of population-based training with no checkpoint of its own starts from its parent's.
        var parent: String?
        if resume == nil, let from = runner.continuation(of: entry.trial.point) { (parent, resume) = (from.parent, from.epochs) }
        let pauseAt = pauses ? judge.pauseAt(entry.number, after: resume ?? 0) : []
        let work = runner.checkpointWork
        actions.append(.assign(worker, Assignment(trial: id, number: entry.number, point: entry.trial.point, resumeFrom: resume,
                                                  parent: parent, pauseAt: pauseAt, checkpointEvery: work.every,
                                                  sendFinal: work.sendFinal, attempt: entry.attempts)))
        let name = registry.name(of: worker)
        actions.append(.event(.trialStarted(trial: id, number: entry.number, worker: name, attempt: entry.attempts)))
        if let resume { actions.append(.event(.resumed(trial: id, fromEpoch: resume, worker: name))) }
        if let rung = judge.stopAt(entry.number) { actions.append(.stop(worker, trial: id, afterEpoch: rung)) }
        return .given
    }

    /// Hands out work to the workers waiting for it, in identity order. Once one finds none, none
    /// will (what it found depends on the sweep, not the worker), so the rest only start waiting
    /// for a proposal if that is why: an input costs no more with ten thousand idle workers than
    /// with one.
    mutating func assignWaiting(now: Duration) {
        var previous: WorkerID?
        while let worker = registry.waitingForWork(after: previous) {
            previous = worker
            if case .none(let waiting) = assign(worker, now: now) {
                if waiting { registry.startWaitingAll(now: now) }
                return
            }
        }
    }

    /// Pauses `id` instead of handing it out when its checkpoint is at a rung not decided yet (a trial
    /// requeued after its worker died there, or found paused after a restart); true if it paused.
    private mutating func pauseIfUndecided(_ id: String) -> Bool {
        guard pauses, let entry = book[id], let at = entry.checkpoint, judge.word(entry.number, at: at) == .undecided else { return false }
        book.pause(id)
        actions.append(.event(.paused(trial: id, rung: at)))
        return true
    }

    private enum Next { case trial(String), waiting, exhausted }

    /// Opens the next position: its trial, or a reason there is none.
    private mutating func openNext() -> Next {
        while let position = book.nextUnopened(limit: end.limit) {
            if let id = book.recorded(at: position) {
                openRecorded(id, at: position)
                book.advanceCursor()
                continue
            }
            guard let trial = draw(at: position) else { return .waiting }
            book.advanceCursor()
            switch book.draw(trial.id, at: position) {
            case .repeated:
                book.markRepeated(position)  // the same configuration again: one trial, run once
                continue
            case .recorded:
                openRecorded(trial.id, at: position)
                continue
            case .new:
                open(trial, at: position)
            }
            if let problem = runner.problem(with: trial.point).map({ "\($0)" }) ?? searcher.problem(with: trial.point)
                ?? missingParent(of: trial.point) {
                // A corner the sweep file's checks cannot see: recorded, never handed out.
                finish(trial.id, with: TrialRecord(failed: trial, reason: "cannot be trained: \(problem)", attempts: 0,
                                                   worker: "", host: "", number: position, layout: layout).judgingFeasibility(spec.objectives), epochs: [])
                continue
            }
            return .trial(trial.id)
        }
        return .exhausted
    }

    /// Why a stretch of population-based training cannot start: its parent's final weights are not
    /// stored (a file lost from the results folder), so it would train from scratch and record
    /// figures that are not the sweep's; nil when they are, or it has no parent.
    private func missingParent(of point: TrialPoint) -> String? {
        guard let parent = runner.continuation(of: point)?.parent, !continuable.contains(parent) else { return nil }
        return "nothing to continue from: the final weights of its parent \(parent) are not stored"
    }

    /// The trial at `position`, as the searcher proposes it (nil: not yet).
    private mutating func draw(at position: Int) -> Trial? {
        if let lastDraw, lastDraw.position == position { return lastDraw.trial }
        guard let point = searcher.point(at: position, frontier: end.frontier, evidence: { evidence(at: $0) }) else { return nil }
        let trial = Trial(point: point)
        // A point that does not depend on results is the same whenever it is asked for: its id is
        // computed once (the recorded positions are looked for at the cursor before it is opened).
        if !searcher.learns { lastDraw = (position, trial) }
        return trial
    }

    /// How the trial at `position` stands for the searcher, before the frontier passes it.
    private func evidence(at position: Int) -> Evidence {
        let entry: TrialBook.Entry
        switch book.presence(at: position) {
        case .unopened: return .pending
        case .absent: return .none
        case .opened(_, let opened): entry = opened
        }
        switch judge.verdict(position) {
        case .stopped(let rung, let value, let objectives)?:
            guard let value, objectives != nil || !runner.objectives.areSeveral else { return .running(entry.trial.point) }
            return .rung(entry.trial.point, rung: rung, value: value, passed: false, objectives: objectives)
        case .passedLast(let rung, let value, let objectives)?:
            return .rung(entry.trial.point, rung: rung, value: value, passed: true, objectives: objectives)
        case nil:
            break
        }
        guard entry.recorded, let record = book.record(of: entry.trial.id) else { return .running(entry.trial.point) }
        return .recorded(record, atStop: heldAtStop(record, position))
    }

    /// A stopped record's value at its rung, as the rung decisions saw it (nil if it was not stopped).
    func heldAtStop(_ record: TrialRecord, _ position: Int) -> HeldAtRung? {
        guard let rung = record.stoppedAt, let value = judge.value(position, at: rung) else { return nil }
        return HeldAtRung(value: value, objectives: judge.objectiveValues(position, at: rung))
    }

    private mutating func open(_ trial: Trial, at position: Int) {
        let length = runner.length(of: trial.point)
        let stored = book.open(trial, at: position, length: length)
        judge.open(position, point: trial.point, length: length, stored: stored)
    }

    private mutating func openRecorded(_ id: String, at position: Int) {
        open(Trial(point: book.record(of: id)!.point), at: position)
        let record = book.markRecordedBefore(id)
        judge.openRecorded(position, id: id, record: record)
    }

    /// Opens the recorded positions at the cursor, in order, so that the frontier and the rung
    /// decisions can pass them before any worker asks for work.
    mutating func openRecordedPositions() {
        guard book.mayBeRecordedAtCursor else { return }  // checked already: the cursor's position is not recorded
        while book.cursor < end.limit {
            let position = book.cursor
            if !book.isOpen(position) {
                book.advanceCursor()  // opened already (a claim, or a held result)
                continue
            }
            if let id = book.recorded(at: position) {
                openRecorded(id, at: position)
            } else if !searcher.learns, let trial = draw(at: position), let id = book.unnumberedRecord(trial.id) {
                openRecorded(id, at: position)
            } else {
                book.cursorIsUnrecorded()
                return
            }
            book.advanceCursor()
        }
    }

    // MARK: - Claims

    /// A reconnecting worker still training `claim`: let it finish instead of giving the trial away.
    mutating func adopt(_ claim: SchedulerInput.RunningTrial, by worker: WorkerID) {
        let runner = self.runner  // the vouched point is made inside `place`, which holds `self`
        guard let id = place(claim.trial, number: claim.number, point: runner.point(vouchedBy: claim.config)),
              let entry = book[id], !entry.isSettled, !entry.isHeld,
              entry.holder == nil || entry.holder == worker || registry[entry.holder!] == nil else {
            actions.append(.stop(worker, trial: claim.trial, afterEpoch: nil))  // done, or someone else has it
            return
        }
        if let holder = entry.holder, holder != worker { registry.unassign(holder) }
        book.adopt(id, by: worker)
        registry.adopt(id, by: worker)
        if let rung = judge.stopAt(entry.number) { actions.append(.stop(worker, trial: id, afterEpoch: rung)) }
    }

    /// The id of an opened trial, opening it at `number` if a worker vouches for it (a trial handed out
    /// by an earlier coordinator): its point must be the sweep's at that position. A worker vouches
    /// with the configuration it trains; a program trial's worker only with the id and position, so
    /// its point is the sweep's at that position, computed again. The point is made only when the
    /// trial is not open already (so not for every result of a trial it handed out itself).
    mutating func place(_ id: String, number: Int?, point vouched: @autoclosure () -> TrialPoint?) -> String? {
        if book[id] != nil { return id }
        guard let number, number >= 0, number < end.limit, book.isOpen(number) else { return nil }
        let point = vouched()
        if let point { guard point.id == id, spec.admits(point) else { return nil } }
        let expected = draw(at: number)
        if let expected, expected.id != id { return nil }
        // (A proposal not computable yet is taken on trust: it was made from recorded results.)
        guard let opened = point ?? expected?.point else { return nil }
        if book.isRecorded(id) {
            openRecorded(id, at: number)
        } else {
            open(Trial(point: opened), at: number)
        }
        return id
    }

    // MARK: - Checkpoints

    /// A checkpoint from the worker training `id`: stored (replacing an older one); at a rung where the
    /// trial may pause, the worker waits for word, given once the rung is settled or found undecided.
    /// A final checkpoint is also taken from a worker no longer counted as the trial's holder (it was
    /// counted as lost while it finished) while nobody else holds the trial: its result follows, and
    /// would otherwise be recorded without its model.
    mutating func checkpoint(_ id: String, epochs: [EpochMetrics], from worker: WorkerID) {
        guard let entry = book[id], !entry.isSettled, !entry.isHeld, epochs.count <= runner.length(of: entry.trial.point) ?? -1,
              entry.holder == worker && registry.trial(of: worker) == id || isOrphanedFinal(entry, epochs: epochs.count) else {
            actions.append(.event(.rejected(peer: registry.name(of: worker),
                                            reason: "checkpoint of trial \(id), which this worker is not training")))
            return
        }
        let count = epochs.count
        guard entry.holder == worker else {
            // The orphaned final checkpoint: stored for the model; nothing more is decided from it.
            if book.checkpoint(id, epochs: count, length: runner.length(of: entry.trial.point)) {
                actions.append(.storeCheckpoint(worker, trial: id, epoch: count))
                actions.append(.event(.checkpointStored(trial: id, epoch: count, worker: registry.name(of: worker))))
            }
            return
        }
        if book.checkpoint(id, epochs: count, length: runner.length(of: entry.trial.point)) {
            actions.append(.storeCheckpoint(worker, trial: id, epoch: count))
            actions.append(.event(.checkpointStored(trial: id, epoch: count, worker: registry.name(of: worker))))
        }
        // The checkpoint holds every finished epoch: early termination may not have seen them all
        // (a coordinator restarted since the trial began).
        judge.checkpoint(entry.number, epochs)
        if pauses, judge.rungs(entry.number).contains(count) { book.waitsAtRung(id, count) }
    }

    /// Whether a checkpoint of `epochs` epochs is the final one of a trial nobody holds.
    func isOrphanedFinal(_ entry: TrialBook.Entry, epochs: Int) -> Bool {
        entry.holder == nil && !entry.isSettled && !entry.isHeld && epochs == runner.length(of: entry.trial.point)
    }

    /// The word for a worker waiting at rung `rung` of `id`, once this input's decisions are taken:
    /// go on if the trial passed it, nothing if it was stopped there (the `stop` went out with the
    /// decision), or pause if the decision must wait for earlier trials.
    mutating func resolveRung(_ id: String, _ rung: Int) {
        guard let entry = book[id], let holder = entry.holder, !entry.isSettled, !entry.isHeld else { return }
        switch judge.word(entry.number, at: rung) {
        case .notARung, .stopped:
            return
        case .passed:
            actions.append(.proceed(holder, trial: id, epoch: rung))
        case .undecided:
            actions.append(.stop(holder, trial: id, afterEpoch: nil))
            registry.finished(holder)
            book.pause(id)
            actions.append(.event(.paused(trial: id, rung: rung)))
        }
    }
}
