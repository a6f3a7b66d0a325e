#include "KinetoKernels.h"
#include <math.h>

#if defined(__x86_64__)
#include <immintrin.h>

int kineto_kernels_available(void) { return 1; }

// Rows ↔ columns of an 8×8 block held in eight registers.
__attribute__((target("avx2"), always_inline)) static inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20); r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20); r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31); r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31); r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Bilinear samples (border clamp, align_corners=True) of 8 consecutive outputs of one row, each one pixel of all 8
// interleaved lanes: `v[l]` is output l. Products and sums in the Swift loop's order, without fused multiply-add.
__attribute__((target("avx2"), always_inline))
static inline void sample8(const float *src, int64_t width, int64_t height, __m256 cols, __m256 sx_flow, __m256 sy,
                           __m256 v[8]) {
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    const __m256 max_x = _mm256_set1_ps((float)(width - 1)), max_y = _mm256_set1_ps((float)(height - 1));
    const __m256i last_x = _mm256_set1_epi32((int)(width - 1)), last_y = _mm256_set1_epi32((int)(height - 1));
    const __m256i ones = _mm256_set1_epi32(1), row_stride = _mm256_set1_epi32((int)width);
    __m256 sx = _mm256_add_ps(cols, sx_flow);
    __m256 ix = _mm256_min_ps(_mm256_max_ps(sx, zero), max_x);
    __m256 iy = _mm256_min_ps(_mm256_max_ps(sy, zero), max_y);
    __m256i x0 = _mm256_cvttps_epi32(ix), y0 = _mm256_cvttps_epi32(iy);   // non-negative: truncation is floor
    __m256 ax = _mm256_sub_ps(ix, _mm256_cvtepi32_ps(x0)), ay = _mm256_sub_ps(iy, _mm256_cvtepi32_ps(y0));
    __m256i x1 = _mm256_min_epi32(_mm256_add_epi32(x0, ones), last_x);
    __m256i y1 = _mm256_min_epi32(_mm256_add_epi32(y0, ones), last_y);
    __m256 bx = _mm256_sub_ps(one, ax), by = _mm256_sub_ps(one, ay);
    float w_nw[8], w_ne[8], w_sw[8], w_se[8];
    _mm256_storeu_ps(w_nw, _mm256_mul_ps(bx, by));
    _mm256_storeu_ps(w_ne, _mm256_mul_ps(ax, by));
    _mm256_storeu_ps(w_sw, _mm256_mul_ps(bx, ay));
    _mm256_storeu_ps(w_se, _mm256_mul_ps(ax, ay));
    __m256i top0 = _mm256_mullo_epi32(y0, row_stride), top1 = _mm256_mullo_epi32(y1, row_stride);
    int32_t i_nw[8], i_ne[8], i_sw[8], i_se[8];
    _mm256_storeu_si256((__m256i *)i_nw, _mm256_add_epi32(top0, x0));
    _mm256_storeu_si256((__m256i *)i_ne, _mm256_add_epi32(top0, x1));
    _mm256_storeu_si256((__m256i *)i_sw, _mm256_add_epi32(top1, x0));
    _mm256_storeu_si256((__m256i *)i_se, _mm256_add_epi32(top1, x1));
    for (int l = 0; l < 8; l++) {
        __m256 nw = _mm256_loadu_ps(src + 8 * (int64_t)i_nw[l]);
        __m256 ne = _mm256_loadu_ps(src + 8 * (int64_t)i_ne[l]);
        __m256 sw = _mm256_loadu_ps(src + 8 * (int64_t)i_sw[l]);
        __m256 se = _mm256_loadu_ps(src + 8 * (int64_t)i_se[l]);
        __m256 sum = _mm256_add_ps(_mm256_mul_ps(nw, _mm256_broadcast_ss(w_nw + l)),
                                   _mm256_mul_ps(ne, _mm256_broadcast_ss(w_ne + l)));
        sum = _mm256_add_ps(sum, _mm256_mul_ps(sw, _mm256_broadcast_ss(w_sw + l)));
        v[l] = _mm256_add_ps(sum, _mm256_mul_ps(se, _mm256_broadcast_ss(w_se + l)));
    }
}

__attribute__((target("avx2")))
void kineto_warp7_interleaved_avx2(const float *src, int64_t width, int64_t height, float y,
                                   const int64_t *columns, const float *fx, const float *fy, int64_t count,
                                   float *dst, int64_t out_plane) {
    const __m256 row_y = _mm256_set1_ps(y);
    for (int64_t j = 0; j + 8 <= count; j += 8) {
        __m256 cols = _mm256_setr_ps((float)columns[j], (float)columns[j + 1], (float)columns[j + 2],
                                     (float)columns[j + 3], (float)columns[j + 4], (float)columns[j + 5],
                                     (float)columns[j + 6], (float)columns[j + 7]);
        __m256 v[8];
        sample8(src, width, height, cols, _mm256_loadu_ps(fx + j), _mm256_add_ps(row_y, _mm256_loadu_ps(fy + j)), v);
        transpose8(v);
        for (int c = 0; c < 7; c++) _mm256_storeu_ps(dst + c * out_plane + j, v[c]);
    }
}

__attribute__((target("avx2")))
void kineto_warp7_halve_avx2(const float *src, int64_t width, int64_t height, float y_top, float y_bottom,
                             const int64_t *columns, const float *fx_top, const float *fy_top, const float *fx_bottom,
                             const float *fy_bottom, int64_t count, float *dst, int64_t out_plane) {
    const __m256 half = _mm256_set1_ps(0.5f), top_y = _mm256_set1_ps(y_top), bottom_y = _mm256_set1_ps(y_bottom);
    for (int64_t j = 0; j + 8 <= count; j += 8) {
        // Sixteen grid columns (two per output), on both grid rows.
        __m256 t[16], b[16];
        for (int h = 0; h < 2; h++) {
            const int64_t *c = columns + 2 * j + 8 * h;
            const int64_t k = 2 * j + 8 * h;
            __m256 cols = _mm256_setr_ps((float)c[0], (float)c[1], (float)c[2], (float)c[3], (float)c[4], (float)c[5],
                                         (float)c[6], (float)c[7]);
            sample8(src, width, height, cols, _mm256_loadu_ps(fx_top + k), _mm256_add_ps(top_y, _mm256_loadu_ps(fy_top + k)),
                    t + 8 * h);
            sample8(src, width, height, cols, _mm256_loadu_ps(fx_bottom + k),
                    _mm256_add_ps(bottom_y, _mm256_loadu_ps(fy_bottom + k)), b + 8 * h);
        }
        // The mean of each 2×2 block as RIFEKernels.halve computes it: rows first, weights ½.
        __m256 v[8];
        for (int l = 0; l < 8; l++) {
            __m256 upper = _mm256_add_ps(_mm256_mul_ps(t[2 * l], half), _mm256_mul_ps(t[2 * l + 1], half));
            __m256 lower = _mm256_add_ps(_mm256_mul_ps(b[2 * l], half), _mm256_mul_ps(b[2 * l + 1], half));
            v[l] = _mm256_add_ps(_mm256_mul_ps(upper, half), _mm256_mul_ps(lower, half));
        }
        transpose8(v);
        for (int c = 0; c < 7; c++) _mm256_storeu_ps(dst + c * out_plane + j, v[c]);
    }
}

__attribute__((target("avx2")))
void kineto_warp_merge_avx2(const float *src0, const float *src1, int64_t width, int64_t height, float y,
                            int64_t first_column, const float *flow, const float *logits, int64_t count,
                            float *dst, int64_t plane, int64_t dst_plane) {
    const __m256 row_y = _mm256_set1_ps(y), step = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    for (int64_t j = 0; j + 8 <= count; j += 8) {
        __m256 cols = _mm256_add_ps(_mm256_set1_ps((float)(first_column + j)), step);
        __m256 a[8], b[8];
        sample8(src0, width, height, cols, _mm256_loadu_ps(flow + j),
                _mm256_add_ps(row_y, _mm256_loadu_ps(flow + plane + j)), a);
        sample8(src1, width, height, cols, _mm256_loadu_ps(flow + 2 * plane + j),
                _mm256_add_ps(row_y, _mm256_loadu_ps(flow + 3 * plane + j)), b);
        for (int l = 0; l < 8; l++) {
            // σ(m) with the C library's expf, as the Swift loop.
            float weight = 1.0f / (1.0f + expf(-logits[j + l]));
            a[l] = _mm256_add_ps(_mm256_mul_ps(a[l], _mm256_set1_ps(weight)), _mm256_mul_ps(b[l], _mm256_set1_ps(1.0f - weight)));
        }
        transpose8(a);
        for (int c = 0; c < 3; c++) _mm256_storeu_ps(dst + c * dst_plane + j, a[c]);
    }
}

__attribute__((target("avx2")))
void kineto_double_row_avx2(const float *top, const float *bottom, float upper, float lower, float factor,
                            int accumulate, float *line, int64_t pairs) {
    const __m256 vu = _mm256_set1_ps(upper), vl = _mm256_set1_ps(lower), vf = _mm256_set1_ps(factor);
    const __m256 near = _mm256_set1_ps(0.75f), far = _mm256_set1_ps(0.25f);
    for (int64_t m = 0; m + 8 <= pairs; m += 8) {
        __m256 p0 = _mm256_loadu_ps(top + m), q0 = _mm256_loadu_ps(top + m + 1);
        __m256 p1 = _mm256_loadu_ps(bottom + m), q1 = _mm256_loadu_ps(bottom + m + 1);
        __m256 odd_a = _mm256_add_ps(_mm256_mul_ps(p0, near), _mm256_mul_ps(q0, far));
        __m256 even_a = _mm256_add_ps(_mm256_mul_ps(p0, far), _mm256_mul_ps(q0, near));
        __m256 odd_b = _mm256_add_ps(_mm256_mul_ps(p1, near), _mm256_mul_ps(q1, far));
        __m256 even_b = _mm256_add_ps(_mm256_mul_ps(p1, far), _mm256_mul_ps(q1, near));
        __m256 odd = _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(odd_a, vu), _mm256_mul_ps(odd_b, vl)), vf);
        __m256 even = _mm256_mul_ps(_mm256_add_ps(_mm256_mul_ps(even_a, vu), _mm256_mul_ps(even_b, vl)), vf);
        // Outputs 2m + 1, 2m + 2, … alternate odd and even.
        __m256 lo = _mm256_unpacklo_ps(odd, even), hi = _mm256_unpackhi_ps(odd, even);
        __m256 first = _mm256_permute2f128_ps(lo, hi, 0x20), second = _mm256_permute2f128_ps(lo, hi, 0x31);
        float *target = line + 2 * m + 1;
        if (accumulate) {
            first = _mm256_add_ps(first, _mm256_loadu_ps(target));
            second = _mm256_add_ps(second, _mm256_loadu_ps(target + 8));
        }
        _mm256_storeu_ps(target, first);
        _mm256_storeu_ps(target + 8, second);
    }
}

__attribute__((target("avx2")))
void kineto_gather_even_avx2(const float *src, float *dst, int64_t count) {
    int64_t i = 0;
    // Eight outputs read 16 inputs; stop while the last one read is still one the loop needs.
    for (; i + 8 < count; i += 8) {
        __m256 a = _mm256_loadu_ps(src + 2 * i), b = _mm256_loadu_ps(src + 2 * i + 8);
        __m256 even = _mm256_shuffle_ps(a, b, 0x88);            // a0 a2 b0 b2 | a4 a6 b4 b6
        _mm256_storeu_ps(dst + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), 0xD8)));
    }
    for (; i < count; i++) dst[i] = src[2 * i];
}

#else
int kineto_kernels_available(void) { return 0; }
void kineto_gather_even_avx2(const float *src, float *dst, int64_t count) {
    for (int64_t i = 0; i < count; i++) dst[i] = src[2 * i];
}
void kineto_warp7_interleaved_avx2(const float *src, int64_t width, int64_t height, float y,
                                   const int64_t *columns, const float *fx, const float *fy, int64_t count,
                                   float *dst, int64_t out_plane) {
    (void)src; (void)width; (void)height; (void)y; (void)columns; (void)fx; (void)fy; (void)count; (void)dst;
    (void)out_plane;
}
void kineto_double_row_avx2(const float *top, const float *bottom, float upper, float lower, float factor,
                            int accumulate, float *line, int64_t pairs) {
    (void)top; (void)bottom; (void)upper; (void)lower; (void)factor; (void)accumulate; (void)line; (void)pairs;
}
void kineto_warp7_halve_avx2(const float *src, int64_t width, int64_t height, float y_top, float y_bottom,
                             const int64_t *columns, const float *fx_top, const float *fy_top, const float *fx_bottom,
                             const float *fy_bottom, int64_t count, float *dst, int64_t out_plane) {
    (void)src; (void)width; (void)height; (void)y_top; (void)y_bottom; (void)columns; (void)fx_top; (void)fy_top;
    (void)fx_bottom; (void)fy_bottom; (void)count; (void)dst; (void)out_plane;
}
void kineto_warp_merge_avx2(const float *src0, const float *src1, int64_t width, int64_t height, float y,
                            int64_t first_column, const float *flow, const float *logits, int64_t count,
                            float *dst, int64_t plane, int64_t dst_plane) {
    (void)src0; (void)src1; (void)width; (void)height; (void)y; (void)first_column; (void)flow; (void)logits;
    (void)count; (void)dst; (void)plane; (void)dst_plane;
}
#endif
