// The supervisor of a program trial: between fork and exec only async-signal-safe calls (the caller
// is a multithreaded Swift process, so nothing else is safe there), no allocation, no stdio.
//
// It is a child subreaper (PR_SET_CHILD_SUBREAPER): whatever the program starts and then orphans,
// however it detached (setsid, a double fork whose middle process exited), becomes the supervisor's
// child, so "no child of mine is left" means "nothing the trial started is left". With a cgroup v2
// the program's whole tree is also in the trial's cgroup, which `cgroup.kill` ends at once and which
// still holds it if the supervisor itself is killed.
#define _GNU_SOURCE
#include "Supervisor.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <time.h>
#include <unistd.h>

static void report(int fd, int32_t tag, int32_t value) {
    int32_t record[2] = {tag, value};
    ssize_t written;
    do { written = write(fd, record, sizeof record); } while (written < 0 && errno == EINTR);
}

/// Appends `text` to `buffer` (of `size`) at `*n`, never past its end.
static void append(char *buffer, size_t size, size_t *n, const char *text) {
    for (const char *c = text; *c && *n + 1 < size; c++) buffer[(*n)++] = *c;
    buffer[*n] = 0;
}

/// Appends `value` in decimal.
static void append_number(char *buffer, size_t size, size_t *n, long value) {
    char digits[24];
    int d = 0;
    unsigned long magnitude = value < 0 ? 0 : (unsigned long)value;
    do { digits[d++] = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude && d < 23);
    while (d && *n + 1 < size) buffer[(*n)++] = digits[--d];
    buffer[*n] = 0;
}

/// Writes "sweep: WHAT (errno N)" to stderr (the program's log), with no allocation.
static void say_failure(const char *what, int code) {
    char line[160];
    size_t n = 0;
    append(line, 120, &n, "sweep: ");
    append(line, 120, &n, what);
    append(line, sizeof line, &n, " (errno ");
    append_number(line, sizeof line, &n, code);
    append(line, sizeof line, &n, ")\n");
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

/// Calls `each` with every decimal number in the file at `path` (pids, one per line or separated
/// by spaces); returns -1 if the file cannot be opened.
static int for_each_number(const char *path, void (*each)(pid_t, void *), void *context) {
    int fd;
    do { fd = open(path, O_RDONLY | O_CLOEXEC); } while (fd < 0 && errno == EINTR);
    if (fd < 0) return -1;
    char chunk[4096];
    long value = -1;
    for (;;) {
        ssize_t got = read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        for (ssize_t i = 0; i < got; i++) {
            if (chunk[i] >= '0' && chunk[i] <= '9') {
                value = (value < 0 ? 0 : value) * 10 + (chunk[i] - '0');
                if (value > INT_MAX) value = INT_MAX;
            } else if (value >= 0) {
                each((pid_t)value, context);
                value = -1;
            }
        }
    }
    if (value >= 0) each((pid_t)value, context);
    close(fd);
    return 0;
}

/// What the supervisor knows of the trial it runs.
typedef struct {
    pid_t self, program;
    /// Whether the program has been reaped.
    int program_ended;
    /// `<cgroup>/cgroup.procs` and `<cgroup>/cgroup.kill`, empty without a cgroup.
    char procs[PATH_MAX], kill[PATH_MAX];
} trial;

/// The children of `self` from /proc/<pid>/stat, for kernels without the `children` file.
static void for_each_child_by_scan(const trial *t, void (*each)(pid_t, void *), void *context) {
    int directory = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (directory < 0) return;
    char entries[4096];
    for (;;) {
        long got = syscall(SYS_getdents64, directory, entries, sizeof entries);
        if (got <= 0) break;
        for (long offset = 0; offset < got;) {
            struct dirent64 *entry = (struct dirent64 *)(entries + offset);
            offset += entry->d_reclen;
            long pid = 0;
            const char *c = entry->d_name;
            for (; *c >= '0' && *c <= '9'; c++) pid = pid * 10 + (*c - '0');
            if (*c || pid <= 0) continue;
            char path[64];
            size_t n = 0;
            append(path, sizeof path, &n, "/proc/");
            append_number(path, sizeof path, &n, pid);
            append(path, sizeof path, &n, "/stat");
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            char stat[512];
            ssize_t length = read(fd, stat, sizeof stat - 1);
            close(fd);
            if (length <= 0) continue;
            stat[length] = 0;
            // "pid (name) S ppid ...": the name may hold anything, so from the last ')'.
            char *close_paren = NULL;
            for (char *s = stat; *s; s++) if (*s == ')') close_paren = s;
            if (!close_paren || close_paren[1] != ' ' || !close_paren[2] || close_paren[3] != ' ') continue;
            long parent = 0;
            for (c = close_paren + 4; *c >= '0' && *c <= '9'; c++) parent = parent * 10 + (*c - '0');
            if (parent == t->self) each((pid_t)pid, context);
        }
    }
    close(directory);
}

/// Calls `each` with every child of the supervisor.
static void for_each_child(const trial *t, void (*each)(pid_t, void *), void *context) {
    char path[64];
    size_t n = 0;
    append(path, sizeof path, &n, "/proc/self/task/");
    append_number(path, sizeof path, &n, t->self);
    append(path, sizeof path, &n, "/children");
    if (for_each_number(path, each, context) < 0) for_each_child_by_scan(t, each, context);
}

typedef struct {
    const trial *t;
    int signal;
    int count;
} sending;

static void signal_one(pid_t pid, void *context) {
    sending *s = context;
    if (pid <= 1 || pid == s->t->self || (pid == s->t->program && !s->t->program_ended)) return;
    s->count++;
    if (s->signal) {
        kill(pid, s->signal);
        // A child that made a group of its own (setsid) takes its group with it.
        kill(-pid, s->signal);
    }
}

/// Sends `signal` to everything the trial left running but the program itself (0: only counts
/// them): the program's process group, every child of the supervisor (orphans it adopted) and
/// their groups, every member of the cgroup. Returns how many children or cgroup members there
/// were (the larger of the two: the cgroup counts every depth, children only the first).
static int signal_leftovers(const trial *t, int signal) {
    if (signal && t->program_ended) kill(-t->program, signal);
    sending children = {t, signal, 0}, members = {t, signal, 0};
    for_each_child(t, signal_one, &children);
    if (t->procs[0]) for_each_number(t->procs, signal_one, &members);
    return children.count > members.count ? children.count : members.count;
}

/// Sends `signal` to the program and everything it started.
static void signal_everything(trial *t, int signal) {
    if (!t->program_ended) kill(-t->program, signal);
    if (!t->program_ended) kill(t->program, signal);
    signal_leftovers(t, signal);
}

/// Notes the program's wait status if `pid` is the program.
static void reaped(trial *t, pid_t pid, int status, int *program_status) {
    if (pid == t->program && !t->program_ended) {
        t->program_ended = 1;
        *program_status = status;
    }
}

/// SIGKILL to the program and everything it started, until the supervisor has no child left: each
/// death hands the dead process's children to the supervisor, which kills and reaps them in turn.
static void kill_everything(trial *t, int *program_status) {
    for (;;) {
        if (t->kill[0]) {
            int fd = open(t->kill, O_WRONLY | O_CLOEXEC);
            if (fd >= 0) {
                ssize_t ignored = write(fd, "1", 1);
                (void)ignored;
                close(fd);
            }
        }
        signal_everything(t, SIGKILL);
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            return;  // ECHILD: nothing left
        }
        reaped(t, pid, status, program_status);
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) reaped(t, pid, status, program_status);
    }
}

/// Does nothing: its only job is to interrupt the supervisor's wait when a child ends.
static void child_ended(int signal) { (void)signal; }

static void supervise(const char *path, char *const argv[], char *const envp[], const char *directory,
                      const sweep_supervision *s) {
    setpgid(0, 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    trial t;
    memset(&t, 0, sizeof t);
    t.self = getpid();
    if (s->cgroup_path) {
        size_t n = 0, m = 0;
        append(t.procs, sizeof t.procs, &n, s->cgroup_path);
        append(t.procs, sizeof t.procs, &n, "/cgroup.procs");
        append(t.kill, sizeof t.kill, &m, s->cgroup_path);
        append(t.kill, sizeof t.kill, &m, "/cgroup.kill");
        if (n + 1 >= sizeof t.procs || m + 1 >= sizeof t.kill) t.procs[0] = t.kill[0] = 0;
    }
    // SIGCHLD stays blocked except inside ppoll, which unblocks it atomically: an end that comes
    // between the waitpid and the wait still interrupts the wait, so the end is seen at once.
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
    // The supervisor is ended by its own decision only (after reporting), or by SIGKILL.
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    close(s->lifeline_write_fd);

    // The program starts inside the trial's cgroup (clone3 with CLONE_INTO_CGROUP, Linux 5.7: no
    // migration, which costs a cgroup-wide lock per trial), else forks and joins it itself.
    pid_t program = -1;
    int joined = 0;
#if defined(SYS_clone3) && defined(CLONE_INTO_CGROUP)
    if (t.procs[0] && s->cgroup_path) {
        int folder = open(s->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (folder >= 0) {
            struct clone_args arguments;
            memset(&arguments, 0, sizeof arguments);
            arguments.flags = CLONE_INTO_CGROUP;
            arguments.exit_signal = SIGCHLD;
            arguments.cgroup = (uint64_t)folder;
            program = (pid_t)syscall(SYS_clone3, &arguments, sizeof arguments);
            if (program >= 0) joined = 1;
            if (program != 0) close(folder);
        }
    }
#endif
    if (!joined) program = fork();
    if (program < 0) {
        report(s->status_write_fd, SWEEP_SUPERVISOR_EXEC_FAILED, errno);
        _exit(127);
    }
    if (program == 0) {
        // A group of its own: a stop reaches its whole tree with one kill, and the supervisor is
        // never in it.
        setpgid(0, 0);
        if (t.procs[0] && !joined) {
            // Into the trial's cgroup before anything runs, so everything it starts is there too.
            int fd = open(t.procs, O_WRONLY | O_CLOEXEC);
            if (fd >= 0) {
                ssize_t ignored = write(fd, "0", 1);
                (void)ignored;
                close(fd);
            }
        }
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
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
    // Both sides set the group, so whoever runs first, the group exists before anyone signals it.
    setpgid(program, program);
    t.program = program;
    report(s->status_write_fd, SWEEP_SUPERVISOR_STARTED, program);

    // The supervisor keeps only its lifeline and status pipe: the output pipes' end of file then
    // means the program's (and its leftovers'), and no descriptor of the worker (a parent's
    // exit-notification socket, say) stays open in a process that may outlive it by the grace.
    close_all_but(s->lifeline_read_fd, s->status_write_fd);
    struct pollfd lifeline = {s->lifeline_read_fd, POLLIN, 0};
    int status = 0, orphaned = 0, stopping = 0, swept = 0, leftovers = 0, killed = 0;
    long deadline = -1;
    for (;;) {
        int ended;
        pid_t pid;
        while ((pid = waitpid(-1, &ended, WNOHANG)) > 0) reaped(&t, pid, ended, &status);
        long now = milliseconds_now();
        if (t.program_ended) {
            int left = signal_leftovers(&t, 0);
            if (!swept) {
                // What a program that ended on its own left behind is asked to go, then killed.
                swept = 1;
                if (!stopping) leftovers = left;
                if (left) signal_leftovers(&t, SIGTERM);
                if (deadline < 0) deadline = now + s->grace_ms;
            }
            if (!left) break;
            if (now >= deadline) {
                killed = left;
                break;
            }
        } else if (deadline >= 0 && now >= deadline) {
            break;  // the program outlived the grace after a stop: SIGKILL below
        }
        // Woken by a child's end (SIGCHLD), a command or the worker's end on the lifeline, or the
        // deadline; the one-second cap is only a safety net.
        long wait = deadline < 0 ? 1000 : deadline - now;
        if (wait > 1000) wait = 1000;
        if (wait < 0) wait = 0;
        struct timespec pause = {wait / 1000, (wait % 1000) * 1000000L};
        lifeline.revents = 0;
        if (ppoll(&lifeline, 1, &pause, &none) <= 0 || lifeline.fd < 0) continue;
        char command = 0;
        ssize_t got = read(lifeline.fd, &command, 1);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) {
            // The worker died: end everything, with the grace, and report to nobody.
            orphaned = 1;
            lifeline.fd = -1;  // end of file stays readable: poll it no more
        }
        if (command == SWEEP_SUPERVISOR_KILL) {
            if (t.program_ended) killed = signal_leftovers(&t, 0);
            break;
        }
        if (!stopping) {
            stopping = 1;
            signal_everything(&t, SIGTERM);
            deadline = milliseconds_now() + s->grace_ms;
        }
    }
    kill_everything(&t, &status);
    if (leftovers) report(s->status_write_fd, SWEEP_SUPERVISOR_LEFTOVERS, leftovers);
    if (killed) report(s->status_write_fd, SWEEP_SUPERVISOR_KILLED, killed);
    report(s->status_write_fd, orphaned ? SWEEP_SUPERVISOR_ORPHANED : SWEEP_SUPERVISOR_ENDED, status);
    if (s->cgroup_path) rmdir(s->cgroup_path);
    _exit(0);
}

const void *sweep_last_byte(const void *bytes, int byte, size_t count) { return memrchr(bytes, byte, count); }

int sweep_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int sweep_socketpair_cloexec(int fds[2]) { return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }

int sweep_lifeline_send(int fd, char command) {
    for (;;) {
        ssize_t sent = send(fd, &command, 1, MSG_NOSIGNAL);
        if (sent == 1) return 0;
        if (sent < 0 && errno != EINTR) return -errno;
    }
}

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
