// The supervisor of a program trial: between fork and exec only async-signal-safe calls (the caller
// is a multithreaded Swift process, so nothing else is safe there), no allocation, no stdio.
#define _GNU_SOURCE
#include "Supervisor.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void report(int fd, int32_t tag, int32_t value) {
    int32_t record[2] = {tag, value};
    ssize_t written;
    do { written = write(fd, record, sizeof record); } while (written < 0 && errno == EINTR);
}

/// Writes "sweep: WHAT (errno N)" to stderr (the program's log), with no allocation.
static void say_failure(const char *what, int code) {
    char line[160];
    size_t n = 0;
    const char *prefix = "sweep: ";
    for (const char *c = prefix; *c && n < 100; c++) line[n++] = *c;
    for (const char *c = what; *c && n < 120; c++) line[n++] = *c;
    const char *middle = " (errno ";
    for (const char *c = middle; *c; c++) line[n++] = *c;
    char digits[12];
    int d = 0;
    unsigned value = code < 0 ? 0 : (unsigned)code;
    do { digits[d++] = (char)('0' + value % 10); value /= 10; } while (value && d < 11);
    while (d) line[n++] = digits[--d];
    line[n++] = ')';
    line[n++] = '\n';
    ssize_t written;
    do { written = write(2, line, n); } while (written < 0 && errno == EINTR);
}

/// Closes every descriptor from `first` on (close_range where the kernel has it).
static void close_from(int first) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)first, ~0U, 0) == 0) return;
#endif
    long limit = sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) limit = 65536;
    for (int fd = first; fd < limit; fd++) close(fd);
}

/// Closes every descriptor but `keep` and `also`.
static void close_all_but(int keep, int also) {
    int low = keep < also ? keep : also, high = keep < also ? also : keep;
    for (int fd = 0; fd < low; fd++) close(fd);
    for (int fd = low + 1; fd < high; fd++) close(fd);
    close_from(high + 1);
}

/// Moves `from` to `to` (dup2 keeps both open; close_from closes the original later).
static int place(int from, int to) {
    if (from < 0) return 0;
    if (from == to) {
        int flags = fcntl(to, F_GETFD);
        return flags < 0 ? -1 : fcntl(to, F_SETFD, flags & ~FD_CLOEXEC);
    }
    return dup2(from, to) < 0 ? -1 : 0;
}

static long milliseconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/// Waits up to `ms` for `child` to end; returns 1 and its status if it did.
static int wait_for(pid_t child, int ms, int *status) {
    long deadline = milliseconds_now() + ms;
    for (;;) {
        pid_t ended = waitpid(child, status, WNOHANG);
        if (ended == child) return 1;
        if (ended < 0 && errno != EINTR) return 1;
        long left = deadline - milliseconds_now();
        if (left <= 0) return 0;
        struct timespec pause = {0, (left < 10 ? left : 10) * 1000000L};
        nanosleep(&pause, NULL);
    }
}

/// Does nothing: its only job is to interrupt the supervisor's wait when the program ends.
static void child_ended(int signal) { (void)signal; }

static void supervise(const char *path, char *const argv[], char *const envp[], const char *directory,
                      const sweep_supervision *s) {
    setpgid(0, 0);
    // SIGCHLD stays blocked except inside ppoll, which unblocks it atomically: an end that comes
    // between the waitpid and the wait still interrupts the wait, so the end is reported at once.
    sigset_t none, child;
    sigemptyset(&none);
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    sigprocmask(SIG_SETMASK, &child, NULL);
    struct sigaction on_child;
    memset(&on_child, 0, sizeof on_child);
    on_child.sa_handler = child_ended;
    sigemptyset(&on_child.sa_mask);
    sigaction(SIGCHLD, &on_child, NULL);
    // A stop is SIGTERM to the whole group; the supervisor outlives it to report the program's status.
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_DFL);
    close(s->lifeline_write_fd);

    pid_t program = fork();
    if (program < 0) {
        report(s->status_write_fd, SWEEP_SUPERVISOR_EXEC_FAILED, errno);
        _exit(127);
    }
    if (program == 0) {
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);  // a blocked mask survives execve
        int ok = place(s->stdin_fd, 0) == 0 && place(s->stdout_fd, 1) == 0 && place(s->stderr_fd, 2) == 0
            && place(s->metrics_fd, 3) == 0;
        if (!ok) _exit(127);
        // The program inherits nothing of the worker but its standard descriptors and the metrics pipe.
        close_from(s->metrics_fd >= 0 ? 4 : 3);
        if (directory != NULL && chdir(directory) != 0) { say_failure("cannot enter its directory", errno); _exit(127); }
        execve(path, argv, envp);
        say_failure("cannot start the program", errno);
        _exit(127);
    }

    // The supervisor keeps only its lifeline and status pipe: the output pipes' end of file then
    // means the program's, and no descriptor of the worker (a parent's exit-notification socket,
    // say) stays open in a process that may outlive it by the grace.
    close_all_but(s->lifeline_read_fd, s->status_write_fd);
    struct pollfd lifeline = {s->lifeline_read_fd, POLLIN, 0};
    int status = 0;
    for (;;) {
        pid_t ended = waitpid(program, &status, WNOHANG);
        if (ended == program) {
            report(s->status_write_fd, SWEEP_SUPERVISOR_ENDED, status);
            // Whatever the program started and left behind goes with it, supervisor included.
            kill(0, SIGKILL);
            _exit(0);
        }
        lifeline.revents = 0;
        // Woken by the program's end (SIGCHLD) or the worker's (its end of the lifeline closing);
        // the timeout is only a safety net.
        struct timespec second = {1, 0};
        int ready = ppoll(&lifeline, 1, &second, &none);
        if (ready > 0) {
            char byte;
            ssize_t got = read(s->lifeline_read_fd, &byte, 1);
            if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
                kill(0, SIGTERM);
                if (!wait_for(program, s->grace_ms, &status)) {
                    kill(-getpgrp(), SIGKILL);  // ends the supervisor too; nobody is left to report to
                }
                report(s->status_write_fd, SWEEP_SUPERVISOR_ORPHANED, status);
                kill(0, SIGKILL);
                _exit(0);
            }
        }
    }
}

const void *sweep_last_byte(const void *bytes, int byte, size_t count) { return memrchr(bytes, byte, count); }

int sweep_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

pid_t sweep_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *directory,
                             const sweep_supervision *supervision) {
    pid_t supervisor = fork();
    if (supervisor < 0) return -errno;
    if (supervisor == 0) {
        supervise(path, argv, envp, directory, supervision);
        _exit(127);
    }
    // Both sides set the group, so whoever runs first, the group exists before anyone signals it.
    setpgid(supervisor, supervisor);
    return supervisor;
}
