#ifndef SWEEP_IMAGE_KERNELS_H
#define SWEEP_IMAGE_KERNELS_H
#include <stdint.h>

/// The sampling loop of ImageTransform's nearest-neighbour rotation: output pixel (x, y) reads the
/// source pixel at (sx >> 16, sy >> 16), where sx = row_x[y] + x·dx and sy = row_y[y] + x·dy in 16.16
/// fixed point (wrapping 32-bit arithmetic, arithmetic shifts), or the byte at `image[rows·columns]`
/// (the fill) when that falls outside; each byte is written as (float)byte · scale. `image` must
/// have 4 readable bytes from the fill on. Eight pixels at a time with AVX2 gathers where the CPU
/// has it (chosen once), the same integer arithmetic and the one float multiply on every path, so
/// the output is bit-identical whichever ran.
void sweep_rotate_nearest(const uint8_t *image, int rows, int columns, const int32_t *row_x, const int32_t *row_y,
                          int32_t dx, int32_t dy, float scale, float *destination);
#endif
