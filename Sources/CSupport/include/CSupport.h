#ifndef SWEEP_CSUPPORT_H
#define SWEEP_CSUPPORT_H
// Two things Swift cannot spell directly: a prefetch hint, and the variadic prctl().
#include <signal.h>
#include "Supervisor.h"
#include "OptimizerKernels.h"
#include "ImageKernels.h"
#ifdef __linux__
#include <sys/prctl.h>
#endif

static inline void sweep_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

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
