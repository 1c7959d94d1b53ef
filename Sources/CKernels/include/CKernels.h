#ifndef SWEEP_CKERNELS_H
#define SWEEP_CKERNELS_H
// The training core's C: SIMD kernels Swift cannot spell as well (each compiled for baseline x86-64,
// AVX2 and AVX-512, chosen once at the first call, bit-identical on every path), and a prefetch hint.
#include "OptimizerKernels.h"
#include "ImageKernels.h"

static inline void sweep_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
