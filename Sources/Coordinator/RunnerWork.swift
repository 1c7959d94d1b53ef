import Scheduling
import Sweeping
import Training
import Wire

extension SweepSpec {
    /// What a worker is sent to run `assignment`, by the sweep's runner: the built-in trainer's
    /// configuration (the trial message's `config`), or the program's job (command, arguments, limits),
    /// headed for the run `folder`. The coordinator's one place that tells the two runners apart.
    func runnerWork(for assignment: Assignment, folder: String, adding work: Message.Work) -> (config: TrainingConfig?, work: Message.Work) {
        var work = work
        if let program {
            work.program = program.job(for: assignment.point.values, sweep: name, metric: metric.name, maxSeconds: maxSeconds,
                                       stopGrace: stopGraceSeconds)
            work.program?.folder = folder
            work.attempt = assignment.attempt
        }
        return (assignment.config, work)
    }
}
