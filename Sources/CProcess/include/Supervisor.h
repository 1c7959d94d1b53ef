#ifndef SWEEP_SUPERVISOR_H
#define SWEEP_SUPERVISOR_H
#include <stddef.h>
#include <sys/types.h>

/// What a supervised program's status pipe carries: 8-byte records of a tag and a value.
enum {
    /// The program could not be started: the value is execve's errno.
    SWEEP_SUPERVISOR_EXEC_FAILED = 1,
    /// The program ended: the value is its raw wait status. Sent last, once nothing it started is left.
    SWEEP_SUPERVISOR_ENDED = 2,
    /// The lifeline broke (the caller died) and everything was ended: the value is the program's wait status.
    SWEEP_SUPERVISOR_ORPHANED = 3,
    /// The program's pid (its process group's id): sent first, so a caller can end its group if the
    /// supervisor itself is killed.
    SWEEP_SUPERVISOR_STARTED = 4,
    /// How many processes the program left running when it ended (they were sent SIGTERM).
    SWEEP_SUPERVISOR_LEFTOVERS = 5,
    /// How many processes were still running when the grace ran out, or a kill was asked for, and
    /// were sent SIGKILL.
    SWEEP_SUPERVISOR_KILLED = 6,
};

/// What the caller writes on the lifeline (one byte each); closing it means the caller died.
enum {
    /// Ask everything to stop: SIGTERM to the program and every process it started, SIGKILL to
    /// whatever is left once the grace has passed.
    SWEEP_SUPERVISOR_TERMINATE = 'T',
    /// End everything now: SIGKILL to the program and every process it started.
    SWEEP_SUPERVISOR_KILL = 'K',
};

/// The descriptors and limits of one supervised program.
typedef struct {
    /// Becomes the program's 0, 1, 2 and (unless negative) 3.
    int stdin_fd, stdout_fd, stderr_fd, metrics_fd;
    /// The supervisor's end of a socket pair whose other end only the caller holds: commands
    /// (`SWEEP_SUPERVISOR_TERMINATE`, `_KILL`) arrive on it, and end of file means the caller died.
    int lifeline_read_fd, lifeline_write_fd;
    /// The write end of the status pipe (records above); the caller keeps the read end.
    int status_write_fd;
    /// Milliseconds between SIGTERM and SIGKILL, on a stop, when the caller dies, and for what the
    /// program leaves running when it ends.
    int grace_ms;
    /// The trial's cgroup v2 folder, or NULL for none: the program joins it before it starts (so
    /// everything it starts is in it, however it detaches), its members are ended with the rest
    /// (`cgroup.kill`), and the supervisor removes it once it is empty.
    const char *cgroup_path;
} sweep_supervision;

/// pipe2(fds, O_CLOEXEC): a pipe no other child inherits (Swift's Glibc module does not export pipe2).
int sweep_pipe_cloexec(int fds[2]);

/// socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC): the lifeline, written with MSG_NOSIGNAL so that a
/// supervisor that is gone costs an EPIPE, never a SIGPIPE.
int sweep_socketpair_cloexec(int fds[2]);

/// Writes one command byte on the lifeline without raising SIGPIPE; 0 on success, else -errno.
int sweep_lifeline_send(int fd, char command);

/// memrchr: the last `byte` in the `count` bytes at `bytes`, or NULL (a GNU extension Swift's Glibc lacks).
const void *sweep_last_byte(const void *bytes, int byte, size_t count);

/// Starts a supervisor (its own process group, and a child subreaper, so every orphan of the
/// program's tree becomes its child) that runs `path` with `argv` and `envp` in `directory`, in a
/// process group of its own and in the trial's cgroup if one is given. When the program ends, the
/// supervisor sends SIGTERM to everything it left running, waits the grace, SIGKILLs what is left,
/// and only then reports; when the lifeline breaks, or a stop is asked for on it, it does the same
/// to the program too. Everything between fork and exec is async-signal-safe. Returns the
/// supervisor's pid, or -errno.
pid_t sweep_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *directory,
                             const sweep_supervision *supervision);
#endif
