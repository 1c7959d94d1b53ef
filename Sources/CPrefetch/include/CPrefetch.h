#ifndef SWEEP_CPREFETCH_H
#define SWEEP_CPREFETCH_H
// Swift has no prefetch intrinsic; the compiler builtin is one instruction and no call.
static inline void sweep_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
