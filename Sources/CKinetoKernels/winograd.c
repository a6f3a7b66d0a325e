#include "KinetoKernels.h"

// Same expressions, in the same order, as WinogradConv3x3's Swift loops, so both round alike.
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

// Bᵀ applied to six values (one column or one row of a 6×6 tile).
#define INPUT_TRANSFORM(ADD, SUB, MUL, K, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5) do { \
    o0 = ADD(SUB(MUL(K(4), a0), MUL(K(5), a2)), a4);                                  \
    o1 = ADD(ADD(MUL(K(-4), ADD(a1, a2)), a3), a4);                                   \
    o2 = ADD(SUB(MUL(K(4), SUB(a1, a2)), a3), a4);                                    \
    o3 = ADD(SUB(MUL(K(2), SUB(a3, a1)), a2), a4);                                    \
    o4 = ADD(SUB(MUL(K(2), SUB(a1, a3)), a2), a4);                                    \
    o5 = ADD(SUB(MUL(K(4), a1), MUL(K(5), a3)), a5);                                  \
} while (0)

#define VADD _mm256_add_ps
#define VSUB _mm256_sub_ps
#define VMUL _mm256_mul_ps
#define VK(x) _mm256_set1_ps((float)(x))
#define SADD(a, b) ((a) + (b))
#define SSUB(a, b) ((a) - (b))
#define SMUL(a, b) ((a) * (b))
#define SK(x) ((float)(x))

// Column j of a padded input row (source column j − 1): the source inside, else zero, or with `reflect` the mirrored
// column (ReflectionPad2d(1)); columns beyond the mirror are zero. The rule of WinogradConv3x3's `padRow`.
static inline float padded_value(const float *src, int64_t w, int64_t reflect, int64_t j) {
    const int64_t i = j - 1;
    if (i >= 0 && i < w) return src[i];
    if (!reflect) return 0;
    if (w == 1) return src[0];
    const int64_t r = i < 0 ? -i : 2 * (w - 1) - i;
    return r >= 0 && r < w ? src[r] : 0;
}

AVX2 void kineto_winograd_input_row_avx2(const float *const *rows, int64_t w, int64_t reflect, int64_t tiles_w,
                                         float *scratch, float *v, int64_t xi_stride) {
    const int64_t n = tiles_w, pn = tiles_w + 8;
    const int64_t full = n / 8 * 8;
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i next = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 7);
    // Horizontal: row r's tiles → scratch[(6r + s) · pn + t].
    for (int r = 0; r < 6; r++) {
        const float *src = rows[r];
        float *h = scratch + 6 * r * pn;
        float edge[40];
        for (int64_t t = 0; t < full; t += 8) {
            // Padded columns 4t … 4t + 33: read in place inside the row, gathered with their padding at its ends.
            const float *base;
            if (t > 0 && 4 * t + 33 <= w) {
                base = src + 4 * t - 1;
            } else {
                for (int64_t j = 0; j < 34; j++) edge[j] = padded_value(src, w, reflect, 4 * t + j);
                base = edge;
            }
            // Each 128-bit half of A…D is one tile's four values: an in-lane 4×4 transpose gives the four phases
            // (tiles in the order 0 2 4 6 1 3 5 7), put back in order by `order`.
            __m256 A = _mm256_loadu_ps(base), B = _mm256_loadu_ps(base + 8);
            __m256 C = _mm256_loadu_ps(base + 16), D = _mm256_loadu_ps(base + 24);
            __m256 t0 = _mm256_unpacklo_ps(A, B), t1 = _mm256_unpackhi_ps(A, B);
            __m256 t2 = _mm256_unpacklo_ps(C, D), t3 = _mm256_unpackhi_ps(C, D);
            __m256 a0 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t0, t2, 0x44), order);
            __m256 a1 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t0, t2, 0xEE), order);
            __m256 a2 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t1, t3, 0x44), order);
            __m256 a3 = _mm256_permutevar8x32_ps(_mm256_shuffle_ps(t1, t3, 0xEE), order);
            // The next tile's first two values.
            __m256 a4 = _mm256_blend_ps(_mm256_permutevar8x32_ps(a0, next), _mm256_broadcast_ss(base + 32), 0x80);
            __m256 a5 = _mm256_blend_ps(_mm256_permutevar8x32_ps(a1, next), _mm256_broadcast_ss(base + 33), 0x80);
            __m256 o0, o1, o2, o3, o4, o5;
            INPUT_TRANSFORM(VADD, VSUB, VMUL, VK, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5);
            _mm256_storeu_ps(h + t, o0);
            _mm256_storeu_ps(h + pn + t, o1);
            _mm256_storeu_ps(h + 2 * pn + t, o2);
            _mm256_storeu_ps(h + 3 * pn + t, o3);
            _mm256_storeu_ps(h + 4 * pn + t, o4);
            _mm256_storeu_ps(h + 5 * pn + t, o5);
        }
        for (int64_t t = full; t < n; t++) {
            float a0 = padded_value(src, w, reflect, 4 * t), a1 = padded_value(src, w, reflect, 4 * t + 1);
            float a2 = padded_value(src, w, reflect, 4 * t + 2), a3 = padded_value(src, w, reflect, 4 * t + 3);
            float a4 = padded_value(src, w, reflect, 4 * t + 4), a5 = padded_value(src, w, reflect, 4 * t + 5);
            float o0, o1, o2, o3, o4, o5;
            INPUT_TRANSFORM(SADD, SSUB, SMUL, SK, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5);
            h[t] = o0; h[pn + t] = o1; h[2 * pn + t] = o2; h[3 * pn + t] = o3; h[4 * pn + t] = o4; h[5 * pn + t] = o5;
        }
    }
    // Vertical: column s of every tile, over the six rows → V[(6i + s)].
    for (int s = 0; s < 6; s++) {
        const float *r0 = scratch + s * pn, *r1 = r0 + 6 * pn, *r2 = r1 + 6 * pn, *r3 = r2 + 6 * pn;
        const float *r4 = r3 + 6 * pn, *r5 = r4 + 6 * pn;
        float *v0 = v + s * xi_stride, *v1 = v0 + 6 * xi_stride, *v2 = v1 + 6 * xi_stride, *v3 = v2 + 6 * xi_stride;
        float *v4 = v3 + 6 * xi_stride, *v5 = v4 + 6 * xi_stride;
        for (int64_t t = 0; t < full; t += 8) {
            __m256 a0 = _mm256_loadu_ps(r0 + t), a1 = _mm256_loadu_ps(r1 + t), a2 = _mm256_loadu_ps(r2 + t);
            __m256 a3 = _mm256_loadu_ps(r3 + t), a4 = _mm256_loadu_ps(r4 + t), a5 = _mm256_loadu_ps(r5 + t);
            __m256 o0, o1, o2, o3, o4, o5;
            INPUT_TRANSFORM(VADD, VSUB, VMUL, VK, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5);
            _mm256_storeu_ps(v0 + t, o0); _mm256_storeu_ps(v1 + t, o1); _mm256_storeu_ps(v2 + t, o2);
            _mm256_storeu_ps(v3 + t, o3); _mm256_storeu_ps(v4 + t, o4); _mm256_storeu_ps(v5 + t, o5);
        }
        for (int64_t t = full; t < n; t++) {
            float a0 = r0[t], a1 = r1[t], a2 = r2[t], a3 = r3[t], a4 = r4[t], a5 = r5[t];
            float o0, o1, o2, o3, o4, o5;
            INPUT_TRANSFORM(SADD, SSUB, SMUL, SK, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3, o4, o5);
            v0[t] = o0; v1[t] = o1; v2[t] = o2; v3[t] = o3; v4[t] = o4; v5[t] = o5;
        }
    }
}

// Aᵀ applied to six values (the bias is added by the caller, after the horizontal pass only).
#define OUTPUT_TRANSFORM(ADD, SUB, MUL, K, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3) do { \
    __typeof__(a1) sum12 = ADD(a1, a2), diff12 = SUB(a1, a2);                       \
    __typeof__(a1) sum34 = ADD(a3, a4), diff34 = SUB(a3, a4);                       \
    o0 = ADD(ADD(a0, sum12), sum34);                                                \
    o1 = ADD(diff12, MUL(K(2), diff34));                                            \
    o2 = ADD(sum12, MUL(K(4), sum34));                                              \
    o3 = ADD(ADD(diff12, MUL(K(8), diff34)), a5);                                   \
} while (0)

// dst = act(v + skip) + post for `count` values: the vector loop's operations one value at a time.
static inline void finish_values(float *dst, const float *v, const float *skip, const float *post, int64_t count,
                                 int64_t leaky, float slope) {
    for (int64_t j = 0; j < count; j++) {
        float x = v[j];
        if (skip) x = x + skip[j];
        if (leaky) x = x < 0 ? x * slope : x;
        if (post) x = x + post[j];
        dst[j] = x;
    }
}

AVX2 void kineto_winograd_output_row_avx2(const float *m, int64_t xi_stride, int64_t tiles_w, float bias,
                                          float *scratch, float *const *dst, const float *const *skip,
                                          const float *const *post, int64_t w, int64_t leaky, float slope) {
    const int64_t n = tiles_w, pn = tiles_w + 8;
    const int64_t full = n / 8 * 8;
    // Vertical: rows of Aᵀ M for every column s → scratch[(6i + s) · pn + t].
    for (int s = 0; s < 6; s++) {
        const float *m0 = m + s * xi_stride, *m1 = m0 + 6 * xi_stride, *m2 = m1 + 6 * xi_stride;
        const float *m3 = m2 + 6 * xi_stride, *m4 = m3 + 6 * xi_stride, *m5 = m4 + 6 * xi_stride;
        float *q0 = scratch + s * pn, *q1 = q0 + 6 * pn, *q2 = q1 + 6 * pn, *q3 = q2 + 6 * pn;
        for (int64_t t = 0; t < full; t += 8) {
            __m256 a0 = _mm256_loadu_ps(m0 + t), a1 = _mm256_loadu_ps(m1 + t), a2 = _mm256_loadu_ps(m2 + t);
            __m256 a3 = _mm256_loadu_ps(m3 + t), a4 = _mm256_loadu_ps(m4 + t), a5 = _mm256_loadu_ps(m5 + t);
            __m256 o0, o1, o2, o3;
            OUTPUT_TRANSFORM(VADD, VSUB, VMUL, VK, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3);
            _mm256_storeu_ps(q0 + t, o0); _mm256_storeu_ps(q1 + t, o1);
            _mm256_storeu_ps(q2 + t, o2); _mm256_storeu_ps(q3 + t, o3);
        }
        for (int64_t t = full; t < n; t++) {
            float a0 = m0[t], a1 = m1[t], a2 = m2[t], a3 = m3[t], a4 = m4[t], a5 = m5[t];
            float o0, o1, o2, o3;
            OUTPUT_TRANSFORM(SADD, SSUB, SMUL, SK, a0, a1, a2, a3, a4, a5, o0, o1, o2, o3);
            q0[t] = o0; q1[t] = o1; q2[t] = o2; q3[t] = o3;
        }
    }
    // Horizontal: (Aᵀ M) A + bias for output row i, the four values of each tile side by side, finished into the row.
    const __m256 vb = _mm256_set1_ps(bias), zero = _mm256_setzero_ps(), vs = _mm256_set1_ps(slope);
    for (int i = 0; i < 4; i++) {
        float *out = dst[i];
        if (!out) continue;
        const float *add = skip ? skip[i] : 0, *after = post ? post[i] : 0;
        const float *c0 = scratch + 6 * i * pn, *c1 = c0 + pn, *c2 = c1 + pn, *c3 = c2 + pn, *c4 = c3 + pn, *c5 = c4 + pn;
        float edge[32];
        for (int64_t t = 0; t < full; t += 8) {
            __m256 a0 = _mm256_loadu_ps(c0 + t), a1 = _mm256_loadu_ps(c1 + t), a2 = _mm256_loadu_ps(c2 + t);
            __m256 a3 = _mm256_loadu_ps(c3 + t), a4 = _mm256_loadu_ps(c4 + t), a5 = _mm256_loadu_ps(c5 + t);
            __m256 r0, r1, r2, r3;
            OUTPUT_TRANSFORM(VADD, VSUB, VMUL, VK, a0, a1, a2, a3, a4, a5, r0, r1, r2, r3);
            r0 = _mm256_add_ps(r0, vb); r1 = _mm256_add_ps(r1, vb); r2 = _mm256_add_ps(r2, vb); r3 = _mm256_add_ps(r3, vb);
            // Interleave: tile t's four values at 4t … 4t + 3.
            __m256 u0 = _mm256_unpacklo_ps(r0, r1), u1 = _mm256_unpackhi_ps(r0, r1);
            __m256 u2 = _mm256_unpacklo_ps(r2, r3), u3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t04 = _mm256_shuffle_ps(u0, u2, 0x44), t15 = _mm256_shuffle_ps(u0, u2, 0xEE);
            __m256 t26 = _mm256_shuffle_ps(u1, u3, 0x44), t37 = _mm256_shuffle_ps(u1, u3, 0xEE);
            __m256 y[4] = {_mm256_permute2f128_ps(t04, t15, 0x20), _mm256_permute2f128_ps(t26, t37, 0x20),
                           _mm256_permute2f128_ps(t04, t15, 0x31), _mm256_permute2f128_ps(t26, t37, 0x31)};
            const int64_t x0 = 4 * t;
            if (x0 + 32 > w) {
                // The row ends inside these 32 columns: finish the valid ones one by one.
                for (int k = 0; k < 4; k++) _mm256_storeu_ps(edge + 8 * k, y[k]);
                finish_values(out + x0, edge, add ? add + x0 : 0, after ? after + x0 : 0, w - x0, leaky, slope);
                continue;
            }
            for (int k = 0; k < 4; k++) {
                const int64_t x = x0 + 8 * k;
                __m256 value = y[k];
                if (add) value = _mm256_add_ps(value, _mm256_loadu_ps(add + x));
                if (leaky) value = _mm256_blendv_ps(value, _mm256_mul_ps(value, vs), _mm256_cmp_ps(value, zero, _CMP_LT_OQ));
                if (after) value = _mm256_add_ps(value, _mm256_loadu_ps(after + x));
                _mm256_storeu_ps(out + x, value);
            }
        }
        for (int64_t t = full; t < n; t++) {
            const int64_t x0 = 4 * t;
            if (x0 >= w) break;
            float a0 = c0[t], a1 = c1[t], a2 = c2[t], a3 = c3[t], a4 = c4[t], a5 = c5[t];
            float r[4];
            OUTPUT_TRANSFORM(SADD, SSUB, SMUL, SK, a0, a1, a2, a3, a4, a5, r[0], r[1], r[2], r[3]);
            for (int k = 0; k < 4; k++) r[k] = r[k] + bias;
            finish_values(out + x0, r, add ? add + x0 : 0, after ? after + x0 : 0, w - x0 < 4 ? w - x0 : 4, leaky,
                          slope);
        }
    }
}

#else
void kineto_winograd_input_row_avx2(const float *const *rows, int64_t w, int64_t reflect, int64_t tiles_w,
                                    float *scratch, float *v, int64_t xi_stride) {
    (void)rows; (void)w; (void)reflect; (void)tiles_w; (void)scratch; (void)v; (void)xi_stride;
}
void kineto_winograd_output_row_avx2(const float *m, int64_t xi_stride, int64_t tiles_w, float bias, float *scratch,
                                     float *const *dst, const float *const *skip, const float *const *post, int64_t w,
                                     int64_t leaky, float slope) {
    (void)m; (void)xi_stride; (void)tiles_w; (void)bias; (void)scratch; (void)dst; (void)skip; (void)post; (void)w;
    (void)leaky; (void)slope;
}
#endif
