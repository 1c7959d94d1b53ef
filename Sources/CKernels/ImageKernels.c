// ImageTransform's rotation samples one source byte per output pixel at a data-dependent place:
// Swift's baseline x86-64 code does that pixel by pixel (a fifth of a rotate_flip epoch went there).
// With AVX2 eight pixels' positions are computed at once and their bytes fetched with one gather.
#include "ImageKernels.h"
#include "VectorLevel.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#pragma clang fp contract(off)

static void rotate_baseline(const uint8_t *image, int rows, int columns, const int32_t *row_x, const int32_t *row_y,
                            int32_t dx, int32_t dy, float scale, float *destination) {
    const uint32_t width = (uint32_t)columns, height = (uint32_t)rows;
    const int fill = rows * columns;
    for (int y = 0; y < rows; y++) {
        uint32_t sx = (uint32_t)row_x[y], sy = (uint32_t)row_y[y];
        float *out = destination + y * columns;
        for (int x = 0; x < columns; x++) {
            int32_t ix = (int32_t)sx >> 16, iy = (int32_t)sy >> 16;
            int inside = (uint32_t)ix < width && (uint32_t)iy < height;
            out[x] = (float)image[inside ? iy * columns + ix : fill] * scale;
            sx += (uint32_t)dx;
            sy += (uint32_t)dy;
        }
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static void rotate_avx2(const uint8_t *image, int rows, int columns, const int32_t *row_x, const int32_t *row_y,
                        int32_t dx, int32_t dy, float scale, float *destination) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i lane_x = _mm256_mullo_epi32(lanes, _mm256_set1_epi32(dx));
    const __m256i lane_y = _mm256_mullo_epi32(lanes, _mm256_set1_epi32(dy));
    const __m256i below_zero = _mm256_set1_epi32(-1), width = _mm256_set1_epi32(columns), height = _mm256_set1_epi32(rows);
    const __m256i fill = _mm256_set1_epi32(rows * columns), low_byte = _mm256_set1_epi32(0xFF);
    const __m256 factor = _mm256_set1_ps(scale);
    for (int y = 0; y < rows; y++) {
        float *out = destination + y * columns;
        for (int start = 0; start < columns; start += 8) {
            // The last group overlaps the one before it rather than running past the row: its pixels
            // are the same function of x, so they are written twice with the same value.
            int x = start + 8 <= columns ? start : columns - 8;
            __m256i sx = _mm256_add_epi32(_mm256_set1_epi32((int32_t)((uint32_t)row_x[y] + (uint32_t)x * (uint32_t)dx)), lane_x);
            __m256i sy = _mm256_add_epi32(_mm256_set1_epi32((int32_t)((uint32_t)row_y[y] + (uint32_t)x * (uint32_t)dy)), lane_y);
            __m256i ix = _mm256_srai_epi32(sx, 16), iy = _mm256_srai_epi32(sy, 16);
            // 0 ≤ i < n, as the scalar code's unsigned comparison.
            __m256i inside = _mm256_and_si256(_mm256_and_si256(_mm256_cmpgt_epi32(ix, below_zero), _mm256_cmpgt_epi32(width, ix)),
                                              _mm256_and_si256(_mm256_cmpgt_epi32(iy, below_zero), _mm256_cmpgt_epi32(height, iy)));
            __m256i index = _mm256_add_epi32(_mm256_mullo_epi32(iy, width), ix);
            index = _mm256_blendv_epi8(fill, index, inside);
            __m256i bytes = _mm256_and_si256(_mm256_i32gather_epi32((const int *)(const void *)image, index, 1), low_byte);
            _mm256_storeu_ps(out + x, _mm256_mul_ps(_mm256_cvtepi32_ps(bytes), factor));
        }
    }
}
#endif

void sweep_rotate_nearest(const uint8_t *image, int rows, int columns, const int32_t *row_x, const int32_t *row_y,
                          int32_t dx, int32_t dy, float scale, float *destination) {
#if defined(__x86_64__)
    if (columns >= 8 && sweep_vector_level() >= 1) {
        rotate_avx2(image, rows, columns, row_x, row_y, dx, dy, scale, destination);
        return;
    }
#endif
    rotate_baseline(image, rows, columns, row_x, row_y, dx, dy, scale, destination);
}
