// The element-wise updates of Adam and RMSprop. Swift lowers SIMD square roots lane by lane on
// baseline x86-64; here each loop is compiled three times (baseline, AVX2, AVX-512) from one body,
// and the widest the CPU has runs. Contraction into fused multiply-adds is off, so every path
// rounds exactly as the scalar code does.
#include "OptimizerKernels.h"
#include "VectorLevel.h"
#include <math.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#pragma clang fp contract(off)

// A gradient that stays 0 (a dead ReLU unit's) decays the second moments towards the subnormal
// range, where each operation on them costs a microcode assist, tens of times the normal cost (it
// made RMSprop five times slower than SGD). The kernels run with subnormals flushed to zero (FTZ and
// DAZ), on every path alike; values below 1.2e-38 then count as 0, which changes no figure that matters.
typedef struct { unsigned int saved; } flush_scope;

static inline flush_scope flush_subnormals(void) {
#if defined(__x86_64__)
    flush_scope scope = {_mm_getcsr()};
    _mm_setcsr(scope.saved | 0x8040);
    return scope;
#else
    flush_scope scope = {0};
    return scope;
#endif
}

static inline void restore_subnormals(flush_scope scope) {
#if defined(__x86_64__)
    _mm_setcsr(scope.saved);
#else
    (void)scope;
#endif
}

#define ADAM_BODY                                                                                   \
    for (size_t i = 0; i < count; i++) {                                                            \
        float gi = g[i];                                                                            \
        float mi = m[i] + one_minus_beta1 * (gi - m[i]);                                            \
        float vi = v[i] * beta2 + one_minus_beta2 * (gi * gi);                                       \
        m[i] = mi;                                                                                  \
        v[i] = vi;                                                                                  \
        w[i] = w[i] * shrink + (-step) * (mi / (__builtin_elementwise_sqrt(vi) * inverse_correction + eps)); \
    }

// One loop per variant (centred or not, momentum or not), so that none carries the others' work.
#define RMSPROP_LOOP(CENTERED, MOMENTUM)                                                            \
    for (size_t i = 0; i < count; i++) {                                                            \
        float gi = g[i];                                                                            \
        float si = s[i] * alpha + one_minus_alpha * (gi * gi);                                       \
        s[i] = si;                                                                                  \
        float denominator;                                                                          \
        if (CENTERED) {                                                                             \
            float ai = average[i] + one_minus_alpha * (gi - average[i]);                             \
            average[i] = ai;                                                                        \
            denominator = __builtin_elementwise_sqrt(si + -1.0f * (ai * ai)) + eps;                 \
        } else {                                                                                    \
            denominator = __builtin_elementwise_sqrt(si) + eps;                                     \
        }                                                                                           \
        if (MOMENTUM) {                                                                             \
            float bi = buffer[i] * momentum + gi / denominator;                                     \
            buffer[i] = bi;                                                                         \
            w[i] = w[i] + (-lr) * bi;                                                               \
        } else {                                                                                    \
            w[i] = w[i] + (-lr) * (gi / denominator);                                               \
        }                                                                                           \
    }

#define RMSPROP_BODY                                                                                \
    if (average && buffer) { RMSPROP_LOOP(1, 1) }                                                  \
    else if (average) { RMSPROP_LOOP(1, 0) }                                                       \
    else if (buffer) { RMSPROP_LOOP(0, 1) }                                                        \
    else { RMSPROP_LOOP(0, 0) }

#define ADAM_ARGS float *restrict w, const float *restrict g, float *restrict m, float *restrict v, size_t count, \
    float one_minus_beta1, float beta2, float one_minus_beta2, float step, float inverse_correction, float eps, \
    float shrink
#define RMSPROP_ARGS float *restrict w, const float *restrict g, float *restrict s, float *restrict average, \
    float *restrict buffer, size_t count, float alpha, float one_minus_alpha, float eps, float lr, float momentum

static void adam_baseline(ADAM_ARGS) { ADAM_BODY }
static void rmsprop_baseline(RMSPROP_ARGS) { RMSPROP_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void adam_avx2(ADAM_ARGS) { ADAM_BODY }
__attribute__((target("avx2"))) static void rmsprop_avx2(RMSPROP_ARGS) { RMSPROP_BODY }
__attribute__((target("avx512f"))) static void adam_avx512(ADAM_ARGS) { ADAM_BODY }
__attribute__((target("avx512f"))) static void rmsprop_avx512(RMSPROP_ARGS) { RMSPROP_BODY }
#endif

void sweep_adam_update(float *w, const float *g, float *m, float *v, size_t count, float one_minus_beta1, float beta2,
                       float one_minus_beta2, float step, float inverse_correction, float eps, float shrink) {
    flush_scope scope = flush_subnormals();
#if defined(__x86_64__)
    int level = sweep_vector_level();
    if (level == 2) adam_avx512(w, g, m, v, count, one_minus_beta1, beta2, one_minus_beta2, step, inverse_correction, eps, shrink);
    else if (level == 1) adam_avx2(w, g, m, v, count, one_minus_beta1, beta2, one_minus_beta2, step, inverse_correction, eps, shrink);
    else
#endif
    adam_baseline(w, g, m, v, count, one_minus_beta1, beta2, one_minus_beta2, step, inverse_correction, eps, shrink);
    restore_subnormals(scope);
}

void sweep_rmsprop_update(float *w, const float *g, float *s, float *average, float *buffer, size_t count, float alpha,
                          float one_minus_alpha, float eps, float lr, float momentum) {
    flush_scope scope = flush_subnormals();
#if defined(__x86_64__)
    int level = sweep_vector_level();
    if (level == 2) rmsprop_avx512(w, g, s, average, buffer, count, alpha, one_minus_alpha, eps, lr, momentum);
    else if (level == 1) rmsprop_avx2(w, g, s, average, buffer, count, alpha, one_minus_alpha, eps, lr, momentum);
    else
#endif
    rmsprop_baseline(w, g, s, average, buffer, count, alpha, one_minus_alpha, eps, lr, momentum);
    restore_subnormals(scope);
}
