import Sweeping
import Training
import SweepCore

/// Results and what follows them: held results, rung decisions, records, the frontier, the end of
/// the sweep, and trials given up on.
extension Scheduler {
    // MARK: - Results

    mutating func receive(_ id: String, number: Int?, outcome: TrainingResult, from worker: WorkerID) {
        let name = registry.name(of: worker)
        if registry.trial(of: worker) == id { registry.finished(worker) }
        let runner = self.runner  // the vouched point is made inside `place`, which holds `self`
        guard let known = place(id, number: number, point: runner.point(vouchedBy: outcome.config)), let entry = book[known],
              outcome.config == runner.config(of: entry.trial.point) else {
            actions.append(.event(.rejected(peer: name, reason: "result for trial \(id), which is not in this sweep")))
            actions.append(.acknowledge(worker, trial: id))  // nothing to retry: it will never be accepted
            return
        }
        if entry.holder == worker { book.clearHolder(id) }
        if entry.isSettled {
            if entry.recorded { actions.append(.event(.duplicateResult(trial: id, worker: name))) }
            actions.append(.acknowledge(worker, trial: id))
            return
        }
        if entry.isHeld {
            // The same trial again (re-sent after a reconnect, or from a second worker it was requeued to):
            // one result is enough; it is acknowledged once the first is recorded or kept.
            if let now = book.deliveredAgain(id, by: worker) {
                actions.append(.event(.duplicateResult(trial: id, worker: name)))
                if now { actions.append(.acknowledge(worker, trial: id)) }
            }
            return
        }
        if outcome.status == .completed && searcher.keepsFinalCheckpoint(of: entry.trial.point) && !entry.finalStored {
            // A stretch later stretches continue from is recorded only with its final weights stored (a
            // worker counted as lost had them refused while another held the stretch): it runs again,
            // from its own checkpoint or its parent's, to the same figures.
            actions.append(.event(.rejected(peer: name, reason: "result of trial \(id) without its final weights stored; it runs again")))
            actions.append(.acknowledge(worker, trial: id))
            // Its worker's attempt ends here (another holding it trains on; one lost put it back in the queue).
            if entry.holder == worker { release(id, from: worker) }
            return
        }
        if let holder = entry.holder, holder != worker, registry[holder] != nil {
            // It ran twice (requeued, then the first worker came back): the numbers are the same; stop the other.
            actions.append(.stop(holder, trial: id, afterEpoch: nil))
            registry.unassign(holder)
            book.clearHolder(id)
        }
        book.hold(id, outcome, from: worker)
        judge.result(entry.number, outcome.epochs)
    }

    // MARK: - Settling

    /// After each input: take the early-termination decisions that have become possible, record the
    /// results whose decisions are complete, move the frontier, settle the end, hand out work, and
    /// finish when everything is settled.
    mutating func settle(now: Duration) {
        guard phase == .running else { return }
        var changed = true
        while changed {
            changed = false
            if judge.isActive {
                let book = self.book
                for decision in judge.decisions(limit: book.cursor, facts: { Scheduler.facts(book.presence(at: $0)) }) {
                    apply(decision)
                    changed = true
                }
            }
            for id in book.takeResultsToCheck() where decisionsComplete(id) {
                recordHeld(id)
                changed = true
            }
            if advanceFrontier() { changed = true }
        }
        for (id, rung) in book.takeWaitingAtRungs() { resolveRung(id, rung) }
        // A result that must still wait is kept durably, so that its worker can move on at once.
        for arrival in book.takeArrivals() {
            actions.append(.hold(HeldResult(trial: arrival.id, number: arrival.number, outcome: arrival.result)))
            for worker in arrival.deliveries { actions.append(.acknowledge(worker, trial: arrival.id)) }
        }
        if end.isReached {
            finishSweep(now: now)
            return
        }
        openRecordedPositions()
        assignWaiting(now: now)
    }

    /// How a position stands apart from its rungs, for the judge.
    private static func facts(_ presence: TrialBook.Presence) -> RungJudge.Facts {
        switch presence {
        case .unopened: .unopened
        case .absent: .absent
        case .opened(_, let entry): .opened(ended: entry.recorded || entry.isHeld)
        }
    }

    private mutating func apply(_ decision: RungLedger.Decision) {
        guard let id = book.id(at: decision.position), let entry = book[id] else { return }
        judge.apply(decision)
        book.decided(id)
        if decision.stop {
            actions.append(.event(.stopDecided(trial: id, rung: decision.rung)))
            if !entry.isHeld, let holder = entry.holder {
                actions.append(.stop(holder, trial: id, afterEpoch: decision.rung))
            }
        } else if book.promote(id, at: decision.rung) {
            actions.append(.event(.promoted(trial: id, rung: decision.rung)))
        }
        // Nobody trains it (paused, or queued after its worker died) and its epochs to the rung are
        // known: its row is complete now.
        let epochs = judge.epochs(entry.number)
        if decision.stop, !entry.isHeld, entry.holder == nil, !entry.isSettled, epochs.count >= decision.rung {
            book.unqueue(id)
            let cut = TrainingResult(config: runner.config(of: entry.trial.point), epochs: Array(epochs.prefix(decision.rung)),
                                     status: .stopped)
            finish(id, with: record(entry, cut, attempts: max(1, entry.attempts), worker: "", host: ""), epochs: cut.epochs)
        }
    }

    /// Whether every decision the held result of `id` depends on is taken.
    private func decisionsComplete(_ id: String) -> Bool {
        let entry = book[id]!
        if judge.stopAt(entry.number) != nil { return true }
        guard let held = book.held(id)?.result else { return false }
        let lastToo = held.status == .stopped || runner.length(of: entry.trial.point) == nil
        return judge.decisionsComplete(entry.number, epochs: held.epochs.count, lastToo: lastToo)
    }

    private mutating func recordHeld(_ id: String) {
        let entry = book[id]!, waiting = book.held(id)!
        var outcome = waiting.result
        if let rung = judge.stopAt(entry.number) {
            speculativeEpochs += max(0, judge.epochs(entry.number).count - rung)
            if outcome.epochs.count > rung || outcome.status != .stopped {
                outcome = TrainingResult(config: outcome.config, epochs: Array(outcome.epochs.prefix(rung)), status: .stopped)
            }
        } else if outcome.status == .stopped {
            // Cut at a rung that this sweep's decisions let it pass (a stop from a sweep file since
            // changed): its remaining epochs were never run, so it runs again.
            _ = book.takeHeld(id)
            book.retry(id)
            return
        }
        let deliverer = waiting.deliveries.last.flatMap { registry[$0] }
        let record = record(entry, outcome, attempts: max(1, entry.attempts),
                            worker: deliverer?.name ?? waiting.deliveries.last?.description ?? "", host: deliverer?.host ?? "")
        let deliveries = book.takeHeld(id).deliveries
        finish(id, with: record, epochs: outcome.epochs)
        for worker in deliveries { actions.append(.acknowledge(worker, trial: id)) }
    }

    /// Records a trial's row and its epochs, and settles its checkpoint: the final weights of one of
    /// the best `keep_models` completed trials become its model; any other checkpoint goes.
    mutating func finish(_ id: String, with row: TrialRecord, epochs: [EpochMetrics]) {
        var record = row
        let entry = book[id]!
        record.epochsTrained = max(entry.trained, record.epochsRun)
        if runner.continuation(of: record.point) != nil {
            // A stretch's result carries its whole chain: its time and work are its own epochs'.
            let own = runner.recordedEpochs(of: record.point, epochs)
            record.seconds = own.reduce(0) { $0 + $1.seconds }
            record.epochsTrained = max(entry.trained, own.count)
        }
        // Final weights wait for the frontier (which settles whether the trial is part of the sweep
        // and ranks it); any other checkpoint is done with.
        if entry.checkpoint != nil && !keeper.keepsCheckpoint(of: record, finalStored: entry.finalStored)
            && !searcher.keepsCheckpoint(of: record) {
            actions.append(.removeCheckpoint(id))
            book.dropCheckpoint(id)
        }
        book.record(id, record)
        actions.append(.record(record, epochs: runner.recordedEpochs(of: record.point, epochs)))
        actions.append(.event(.trialRecorded(record)))
    }

    /// Moves the frontier over settled positions: what a searcher learns from, and where the sweep ends.
    private mutating func advanceFrontier() -> Bool {
        var moved = false
        while end.frontier < min(book.cursor, end.limit) {
            let position = end.frontier
            guard let settled = book.settled(at: position) else { break }
            moved = true
            guard case .trial(let id, let record) = settled else {
                _ = end.pass(nil)
                continue
            }
            if let record {
                let entry = book[id]!
                // A checkpoint a later position continues from stays (the searcher says when it goes).
                if !searcher.keepsCheckpoint(of: record) {
                    actions += keeper.settle(id, record, checkpoint: entry.checkpoint != nil, finalStored: entry.finalStored,
                                             recordedBefore: entry.recordedBefore)
                } else if entry.finalStored && entry.checkpoint != nil {
                    continuable.insert(id)
                }
                book.dropCheckpoint(id)
                if searcher.learns { searcher.learn(from: record, at: position, atStop: heldAtStop(record, position)) }
                for done in searcher.checkpointsDone(afterPassing: position) {
                    actions.append(.removeCheckpoint(done))
                    continuable.remove(done)
                }
                if let ending = end.pass(record) { endSweep(ending) }
            } else {
                _ = end.pass(nil)
            }
            // Nothing will ask about it again: keep memory to what is in flight.
            if !judge.isActive && !searcher.learns { book.forget(position, id) }
        }
        return moved
    }

    /// The trials before `ending.number` settle the sweep's end there: everything from it on is not
    /// part of it. Running ones are stopped, held results let go, recorded ones moved aside.
    private mutating func endSweep(_ ending: SweepEnd.Ending) {
        actions.append(.event(.sweepEnded(reason: ending.reason, number: ending.number - 1)))
        var beyond: Set<String> = []
        for cut in book.cut(from: ending.number) {
            if let holder = cut.holder {
                actions.append(.stop(holder, trial: cut.id, afterEpoch: nil))
                registry.unassign(holder)
            }
            for worker in cut.acknowledge { actions.append(.acknowledge(worker, trial: cut.id)) }
            if cut.record != nil {
                beyond.insert(cut.id)
                if keeper.forget(cut.id) { actions.append(.removeModel(cut.id)) }
            }
            if cut.hadCheckpoint { actions.append(.removeCheckpoint(cut.id)) }
        }
        if !beyond.isEmpty { actions.append(.moveBeyondEnd(beyond)) }
    }

    // MARK: - Faults

    /// `worker` no longer trains `id` (it died, or said hello without it): the trial goes back to the
    /// queue, or is recorded as failed once it has taken down `maxAttempts` workers.
    mutating func release(_ id: String, from worker: WorkerID) {
        guard case .givenUp(let entry) = book.release(id, from: worker, maxAttempts: options.maxAttempts) else { return }
        let name = registry.name(of: worker)
        finish(id, with: TrialRecord(failed: entry.trial, reason: "took down \(entry.attempts) workers in a row (last: \(name))",
                                     attempts: entry.attempts, worker: name, host: registry[worker]?.host ?? "",
                                     number: entry.number, layout: layout).judgingFeasibility(spec.objectives), epochs: [])
    }

    /// A trial's row from its result, in the sweep's layout.
    private func record(_ entry: TrialBook.Entry, _ result: TrainingResult, attempts: Int, worker: String,
                        host: String) -> TrialRecord {
        var record = TrialRecord(trial: entry.trial, result: result, attempts: attempts, worker: worker, host: host,
                                 number: entry.number, layout: layout, minimize: spec.metric.minimize)
        record.judgeFeasibility(spec.objectives, last: result.final)
        return record
    }
}
