#ifndef SWEEP_VECTOR_LEVEL_H
#define SWEEP_VECTOR_LEVEL_H
// Internal to CKernels: which of its kernel variants this CPU runs.

/// 2: AVX-512 (F), 1: AVX2, 0: neither. Decided once; a data race on first use writes the same value.
int sweep_vector_level(void);
#endif
