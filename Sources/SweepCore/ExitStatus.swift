/// Every exit status `sweep` uses, by its BSD sysexits name, in one place: the command line exits
/// with them and the tests name them.
public enum ExitStatus {
    /// A trial `sweep try` ran did not complete, or every worker of `sweep run` exited before the sweep finished.
    public static let failure: Int32 = 1
    /// EX_USAGE: a bad flag or argument.
    public static let usage: Int32 = 64
    /// EX_DATAERR: a bad sweep file, data file or key.
    public static let dataError: Int32 = 65
    /// EX_SOFTWARE: the program itself is wrong (a benchmark's built-in sweep file refused, say).
    public static let software: Int32 = 70
    /// EX_NOINPUT: a file or directory that should be there is not.
    public static let noInput: Int32 = 66
    /// EX_UNAVAILABLE: ZeroMQ failed, or the coordinator refused this worker.
    public static let unavailable: Int32 = 69
    /// EX_CANTCREAT: an output file cannot be created, or a results folder holds another sweep.
    public static let cannotCreate: Int32 = 73
    /// EX_IOERR: writing results failed (the store was rolled back to its last good length).
    public static let ioError: Int32 = 74
    /// EX_TEMPFAIL: the results directory is in use by another coordinator; try again later.
    public static let busy: Int32 = 75
    /// 128 + SIGINT: stopped by Ctrl-C (or SIGTERM); run the same command to resume.
    public static let interrupted: Int32 = 130
}
