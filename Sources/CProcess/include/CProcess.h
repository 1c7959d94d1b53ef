#ifndef SWEEP_CPROCESS_H
#define SWEEP_CPROCESS_H
// Process supervision Swift cannot spell: the supervisor of program trials (fork and exec with only
// async-signal-safe calls between them), pipes and socket pairs with close-on-exec, and prctl().
#include <signal.h>
#include "Supervisor.h"
#ifdef __linux__
#include <sys/prctl.h>
#endif

/// Asks the kernel to send `signal` to this process when its parent dies (Linux); 0 on success.
static inline int sweep_set_parent_death_signal(int signal) {
#ifdef __linux__
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
#else
    (void)signal;
    return -1;
#endif
}
#endif
