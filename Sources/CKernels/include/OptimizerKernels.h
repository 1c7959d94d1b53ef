#ifndef SWEEP_OPTIMIZER_KERNELS_H
#define SWEEP_OPTIMIZER_KERNELS_H
#include <stddef.h>

/// Adam's (and AdamW's) element-wise update, torch.optim.Adam's order of operations:
/// m += (1 − β₁)(g − m); v = β₂·v + (1 − β₂)·g²; w = w·shrink − step·m / (√v · inverse_correction + eps),
/// where `shrink` is AdamW's decoupled decay 1 − lr·wd (applied first, as torch does; 1 for Adam).
/// Eight or sixteen lanes at a time where the CPU has AVX2 or AVX-512 (chosen once, at the first
/// call), the same IEEE operations in the same order on every path (no fused multiply-add), so the
/// results are bit-identical whichever path ran. `one_minus_beta2` is passed, not computed here: torch
/// rounds 1 − β₂ once from the double (0.001f), where 1.0f − 0.999f would be 1.3e-5 smaller.
void sweep_adam_update(float *w, const float *g, float *m, float *v, size_t count, float one_minus_beta1, float beta2,
                       float one_minus_beta2, float step, float inverse_correction, float eps, float shrink);

/// RMSprop's element-wise update, torch.optim.RMSprop's order: s = α·s + (1 − α)·g²; centred (`average`
/// not NULL): ḡ += (1 − α)(g − ḡ), a = √(s − ḡ²) + eps, else a = √s + eps; with a momentum buffer
/// (`buffer` not NULL): b = μ·b + g/a, w −= lr·b, else w −= lr·g/a. Paths as for Adam; `one_minus_alpha`
/// is torch's 1 − α rounded once from the double (0.01f, where 1.0f − 0.99f is 9.5e-7 smaller).
void sweep_rmsprop_update(float *w, const float *g, float *s, float *average, float *buffer, size_t count, float alpha,
                          float one_minus_alpha, float eps, float lr, float momentum);
#endif
