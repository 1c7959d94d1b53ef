#ifndef SWEEP_SUPERVISOR_H
#define SWEEP_SUPERVISOR_H
#include <stddef.h>
#include <sys/types.h>

/// What a supervised program's status pipe carries: 8-byte records of a tag and a value.
enum {
    /// The program could not be started: the value is execve's errno.
    SWEEP_SUPERVISOR_EXEC_FAILED = 1,
    /// The program ended: the value is its raw wait status.
    SWEEP_SUPERVISOR_ENDED = 2,
    /// The lifeline broke (the caller died) and the group was ended: the value is the program's wait status.
    SWEEP_SUPERVISOR_ORPHANED = 3,
};

/// The descriptors and limits of one supervised program.
typedef struct {
    /// Becomes the program's 0, 1, 2 and (unless negative) 3.
    int stdin_fd, stdout_fd, stderr_fd, metrics_fd;
    /// The read end of a pipe whose write end only the caller holds: end of file means the caller died.
    int lifeline_read_fd, lifeline_write_fd;
    /// The write end of the status pipe (records above); the caller keeps the read end.
    int status_write_fd;
    /// After the lifeline breaks: milliseconds between SIGTERM and SIGKILL to the group.
    int grace_ms;
} sweep_supervision;

/// pipe2(fds, O_CLOEXEC): a pipe no other child inherits (Swift's Glibc module does not export pipe2).
int sweep_pipe_cloexec(int fds[2]);

/// memrchr: the last `byte` in the `count` bytes at `bytes`, or NULL (a GNU extension Swift's Glibc lacks).
const void *sweep_last_byte(const void *bytes, int byte, size_t count);

/// Starts a supervisor in a new process group (its pid is the group's id) that runs `path` with
/// `argv` and `envp` in `directory`, and waits for it. When the program ends, the supervisor kills
/// whatever the program left in the group and reports the wait status; when the lifeline breaks, it
/// sends SIGTERM to the group, then SIGKILL after the grace, so no program outlives its worker.
/// Everything between fork and exec is async-signal-safe. Returns the supervisor's pid, or -errno.
pid_t sweep_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *directory,
                             const sweep_supervision *supervision);
#endif
