#include "KinetoKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

// Output pixels of one row computed per step: one AVX-512 register.
#define PIXELS 16

int64_t kineto_conv3x3_line_floats(int64_t out_width) {
    // The widest tap read: 16 floats from column ceil16(out_width) − 16 + 2, plus one for stride 2's E[x + 1].
    return (out_width + PIXELS - 1) / PIXELS * PIXELS + PIXELS + 2;
}

void kineto_conv3x3_pack_weight(const float *weight, int64_t cout, int64_t cin, float *packed) {
    for (int64_t o = 0; o < cout; o++) {
        const int64_t block = o / PIXELS, lane = o % PIXELS;
        for (int64_t i = 0; i < cin; i++) {
            for (int64_t t = 0; t < 9; t++) {
                packed[((block * cin + i) * 9 + t) * PIXELS + lane] = weight[(o * cin + i) * 9 + t];
            }
        }
    }
}

// The padded input row `row` of one channel (zeros outside the frame) for the taps of one kernel row: stride 1
// keeps it whole, shifted one column right (P[j] = in[j − 1]); stride 2 splits it into even and odd columns of P.
__attribute__((target("avx512f")))
static void build_line(const float *plane, int64_t h, int64_t w, int64_t row, int64_t stride, int64_t length,
                       float *line) {
    if (row < 0 || row >= h) {
        memset(line, 0, (size_t)(stride * length) * sizeof(float));
        return;
    }
    const float *src = plane + row * w;
    if (stride == 1) {
        line[0] = 0;
        memcpy(line + 1, src, (size_t)w * sizeof(float));
        memset(line + 1 + w, 0, (size_t)(length - 1 - w) * sizeof(float));
        return;
    }
    // E[i] = P[2i] = in[2i − 1], O[i] = P[2i + 1] = in[2i].
    float *even = line, *odd = line + length;
    const __m512i even_index = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i odd_index = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    even[0] = 0;
    int64_t i = 0;
    // odd[i] = in[2i] for 2i < w; even[i + 1] = in[2i + 1] for 2i + 1 < w.
    for (; 2 * i + 32 <= w; i += 16) {
        __m512 a = _mm512_loadu_ps(src + 2 * i), b = _mm512_loadu_ps(src + 2 * i + 16);
        _mm512_storeu_ps(odd + i, _mm512_permutex2var_ps(a, odd_index, b));
        _mm512_storeu_ps(even + i + 1, _mm512_permutex2var_ps(a, even_index, b));
    }
    for (; i < length; i++) {
        odd[i] = 2 * i < w ? src[2 * i] : 0;
        if (i + 1 < length) even[i + 1] = 2 * i + 1 < w ? src[2 * i + 1] : 0;
    }
}

__attribute__((target("avx512f")))
void kineto_conv3x3_rows_avx512(const float *input, int64_t cin, int64_t h, int64_t w, int64_t stride,
                                const float *packed, const float *bias, const float *residual, int64_t cout,
                                float slope, int64_t leaky, float *output, int64_t ho, int64_t wo, int64_t row0, int64_t row1, float *lines) {
    const int64_t length = kineto_conv3x3_line_floats(wo);
    const int64_t per_row = stride * length;               // floats of one (channel, kernel row)
    const __m512 slopes = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
    const int64_t plane_out = ho * wo;
    for (int64_t oy = row0; oy < row1; oy++) {
        for (int64_t ci = 0; ci < cin; ci++) {
            for (int64_t ky = 0; ky < 3; ky++) {
                build_line(input + ci * h * w, h, w, stride * oy - 1 + ky, stride, length,
                           lines + (ci * 3 + ky) * per_row);
            }
        }
        for (int64_t block = 0; block < cout / PIXELS; block++) {
            const float *wb = packed + block * cin * 9 * PIXELS;
            for (int64_t x0 = 0; x0 < wo; x0 += PIXELS) {
                __m512 acc[PIXELS];
                for (int j = 0; j < PIXELS; j++) acc[j] = _mm512_set1_ps(bias ? bias[block * PIXELS + j] : 0.0f);
                for (int64_t ci = 0; ci < cin; ci++) {
                    for (int64_t ky = 0; ky < 3; ky++) {
                        const float *line = lines + (ci * 3 + ky) * per_row;
                        // Tap kx reads P[x + kx] (stride 1), or E[x], O[x], E[x + 1] (stride 2).
                        const float *taps[3];
                        if (stride == 1) { taps[0] = line; taps[1] = line + 1; taps[2] = line + 2; }
                        else { taps[0] = line; taps[1] = line + length; taps[2] = line + 1; }
                        const float *wt = wb + (ci * 9 + ky * 3) * PIXELS;
                        for (int kx = 0; kx < 3; kx++) {
                            const __m512 v = _mm512_loadu_ps(taps[kx] + x0);
                            const float *wk = wt + kx * PIXELS;
                            for (int j = 0; j < PIXELS; j++) acc[j] = _mm512_fmadd_ps(v, _mm512_set1_ps(wk[j]), acc[j]);
                        }
                    }
                }
                const __mmask16 keep = wo - x0 >= PIXELS ? (__mmask16)0xFFFF : (__mmask16)((1u << (wo - x0)) - 1);
                const int64_t offset = (block * PIXELS) * plane_out + oy * wo + x0;
                float *dst = output + offset;
                for (int j = 0; j < PIXELS; j++) {
                    __m512 value = acc[j];
                    if (residual) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(keep, residual + offset + j * plane_out));
                    if (leaky) {
                        // v < 0 ? v · slope : v, as the Swift activation.
                        const __mmask16 negative = _mm512_cmp_ps_mask(value, zero, _CMP_LT_OQ);
                        value = _mm512_mask_mul_ps(value, negative, value, slopes);
                    }
                    _mm512_mask_storeu_ps(dst + j * plane_out, keep, value);
                }
            }
        }
    }
}

// Output channels of the transposed convolution accumulated together: 8, each in two registers (even and odd
// output columns).
#define CT_CHANNELS 8

void kineto_conv_transpose4x4_pack_weight(const float *weight, int64_t cin, int64_t weight_cout, int64_t cout,
                                          float *packed) {
    const int64_t blocks = (cout + CT_CHANNELS - 1) / CT_CHANNELS;
    for (int64_t b = 0; b < blocks; b++) {
        for (int64_t i = 0; i < cin; i++) {
            for (int64_t t = 0; t < 16; t++) {
                for (int64_t lane = 0; lane < CT_CHANNELS; lane++) {
                    const int64_t o = b * CT_CHANNELS + lane;
                    packed[((b * cin + i) * 16 + t) * CT_CHANNELS + lane] =
                        o < cout ? weight[(i * weight_cout + o) * 16 + t] : 0.0f;
                }
            }
        }
    }
}

// Lanes 0 ..< n set.
__attribute__((target("avx512f"), always_inline)) static inline __mmask16 lanes(int64_t n) {
    return n >= 16 ? (__mmask16)0xFFFF : n <= 0 ? (__mmask16)0 : (__mmask16)((1u << n) - 1);
}

// The work of kineto_conv_transpose4x4_rows_avx512 with `CH` output channels of a block (8, or 4 for a layer of at
// most 4) and `GROUPS` runs of 16 input columns at once: CH · GROUPS · 2 accumulators (16 either way), so a
// 4-channel layer (the head's) fills the registers with two column runs instead of leaving half of them on the
// zero weights of absent channels.
__attribute__((target("avx512f"), always_inline))
static inline void conv_transpose4x4_rows(const float *input, int64_t cin, int64_t h, int64_t w, const float *packed,
                                          const float *bias, int64_t cout, int64_t shuffle, float *output,
                                          int64_t out_plane, int64_t item0, int64_t item1, const int CH,
                                          const int GROUPS) {
    const int64_t ho = 2 * h, wo = 2 * w;
    const int64_t out_w = shuffle ? 2 * wo : wo;
    const __m512i lo_index = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi_index = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    // Items: (channel block, output row Y), Y fastest.
    for (int64_t item = item0; item < item1; item++) {
        const int64_t block = item / ho, oy = item % ho;
        const int64_t y = oy / 2, py = oy % 2;
        // Row taps: Y = 2y takes ky = 1 (iy = y) and ky = 3 (iy = y − 1); Y = 2y + 1 takes ky = 2 (iy = y) and
        // ky = 0 (iy = y + 1).
        const int64_t iys[2] = {y, py == 0 ? y - 1 : y + 1};
        const int64_t kys[2] = {py == 0 ? 1 : 2, py == 0 ? 3 : 0};
        const float *wb = packed + block * cin * 16 * CT_CHANNELS;
        for (int64_t x0 = 0; x0 < w; x0 += 16 * GROUPS) {
            __m512 even[16], odd[16];   // [j · GROUPS + g]
            for (int j = 0; j < CH; j++) {
                const int64_t o = block * CT_CHANNELS + j;
                for (int g = 0; g < GROUPS; g++) even[j * GROUPS + g] = odd[j * GROUPS + g] = _mm512_set1_ps(bias && o < cout ? bias[o] : 0.0f);
            }
            // Columns: X = 2x takes kx = 1 (ix = x) and kx = 3 (ix = x − 1); X = 2x + 1 takes kx = 2 (ix = x) and
            // kx = 0 (ix = x + 1). Lanes outside the row read nothing (masked loads give zeros).
            __mmask16 left_mask[2], centre_mask[2], right_mask[2];
            for (int g = 0; g < GROUPS; g++) {
                const int64_t x = x0 + 16 * g;
                left_mask[g] = lanes(w - x + 1) & (x == 0 ? (__mmask16)0xFFFE : (__mmask16)0xFFFF);
                centre_mask[g] = lanes(w - x);
                right_mask[g] = lanes(w - x - 1);
            }
            for (int r = 0; r < 2; r++) {
                const int64_t iy = iys[r];
                if (iy < 0 || iy >= h) continue;
                const int64_t ky = kys[r];
                for (int64_t ci = 0; ci < cin; ci++) {
                    const float *row = input + (ci * h + iy) * w + x0;
                    __m512 left[2], centre[2], right[2];
                    for (int g = 0; g < GROUPS; g++) {
                        left[g] = _mm512_maskz_loadu_ps(left_mask[g], row + 16 * g - 1);
                        centre[g] = _mm512_maskz_loadu_ps(centre_mask[g], row + 16 * g);
                        right[g] = _mm512_maskz_loadu_ps(right_mask[g], row + 16 * g + 1);
                    }
                    const float *wk = wb + (ci * 16 + ky * 4) * CT_CHANNELS;   // taps kx = 0…3 of row ky
                    for (int j = 0; j < CH; j++) {
                        const __m512 w1 = _mm512_set1_ps(wk[1 * CT_CHANNELS + j]), w3 = _mm512_set1_ps(wk[3 * CT_CHANNELS + j]);
                        const __m512 w2 = _mm512_set1_ps(wk[2 * CT_CHANNELS + j]), w0 = _mm512_set1_ps(wk[0 * CT_CHANNELS + j]);
                        for (int g = 0; g < GROUPS; g++) {
                            __m512 *e = &even[j * GROUPS + g], *d = &odd[j * GROUPS + g];
                            *e = _mm512_fmadd_ps(centre[g], w1, *e);
                            *e = _mm512_fmadd_ps(left[g], w3, *e);
                            *d = _mm512_fmadd_ps(centre[g], w2, *d);
                            *d = _mm512_fmadd_ps(right[g], w0, *d);
                        }
                    }
                }
            }
            for (int g = 0; g < GROUPS; g++) {
                const int64_t x = x0 + 16 * g;
                if (x >= w) break;
                // Output columns 2x … 2x + 31 of row Y, even and odd interleaved.
                const int64_t valid = 2 * (w - x < 16 ? w - x : 16);
                if (!shuffle) {
                    for (int j = 0; j < CH; j++) {
                        const int64_t o = block * CT_CHANNELS + j;
                        if (o >= cout) break;
                        const __m512 e = even[j * GROUPS + g], d = odd[j * GROUPS + g];
                        float *dst = output + o * out_plane + oy * out_w + 2 * x;
                        _mm512_mask_storeu_ps(dst, lanes(valid), _mm512_permutex2var_ps(e, lo_index, d));
                        _mm512_mask_storeu_ps(dst + 16, lanes(valid - 16), _mm512_permutex2var_ps(e, hi_index, d));
                    }
                    continue;
                }
                // PixelShuffle(2): channel o = 4·plane + 2i + j lands at (plane, 2Y + i, 2X + j); channels 2m and
                // 2m + 1 (j = 0, 1) interleave into 64 consecutive values.
                for (int j = 0; j < CH; j += 2) {
                    const int64_t o = block * CT_CHANNELS + j;
                    if (o >= cout) break;
                    const int64_t plane = o / 4, i = (o / 2) % 2;
                    float *dst = output + plane * out_plane + (2 * oy + i) * out_w + 4 * x;
                    const __m512 e0 = even[j * GROUPS + g], d0 = odd[j * GROUPS + g];
                    const __m512 e1 = even[(j + 1) * GROUPS + g], d1 = odd[(j + 1) * GROUPS + g];
                    const __m512 a_lo = _mm512_permutex2var_ps(e0, lo_index, d0);
                    const __m512 a_hi = _mm512_permutex2var_ps(e0, hi_index, d0);
                    const __m512 b_lo = _mm512_permutex2var_ps(e1, lo_index, d1);
                    const __m512 b_hi = _mm512_permutex2var_ps(e1, hi_index, d1);
                    const int64_t n = 2 * valid;
                    _mm512_mask_storeu_ps(dst, lanes(n), _mm512_permutex2var_ps(a_lo, lo_index, b_lo));
                    _mm512_mask_storeu_ps(dst + 16, lanes(n - 16), _mm512_permutex2var_ps(a_lo, hi_index, b_lo));
                    _mm512_mask_storeu_ps(dst + 32, lanes(n - 32), _mm512_permutex2var_ps(a_hi, lo_index, b_hi));
                    _mm512_mask_storeu_ps(dst + 48, lanes(n - 48), _mm512_permutex2var_ps(a_hi, hi_index, b_hi));
                }
            }
        }
    }
}

__attribute__((target("avx512f")))
void kineto_conv_transpose4x4_rows_avx512(const float *input, int64_t cin, int64_t h, int64_t w, const float *packed,
                                          const float *bias, int64_t cout, int64_t shuffle, float *output,
                                          int64_t out_plane, int64_t item0, int64_t item1) {
    if (cout <= 4) {
        conv_transpose4x4_rows(input, cin, h, w, packed, bias, cout, shuffle, output, out_plane, item0, item1, 4, 2);
    } else {
        conv_transpose4x4_rows(input, cin, h, w, packed, bias, cout, shuffle, output, out_plane, item0, item1, 8, 1);
    }
}

#else

int64_t kineto_conv3x3_line_floats(int64_t out_width) { return out_width + 18; }
void kineto_conv3x3_pack_weight(const float *weight, int64_t cout, int64_t cin, float *packed) {
    (void)weight; (void)cout; (void)cin; (void)packed;
}
void kineto_conv3x3_rows_avx512(const float *input, int64_t cin, int64_t h, int64_t w, int64_t stride,
                                const float *packed, const float *bias, const float *residual, int64_t cout,
                                float slope, int64_t leaky, float *output, int64_t ho, int64_t wo, int64_t row0, int64_t row1, float *lines) {
    (void)input; (void)cin; (void)h; (void)w; (void)stride; (void)packed; (void)bias; (void)residual; (void)cout;
    (void)slope;
    (void)leaky; (void)output; (void)ho; (void)wo; (void)row0; (void)row1; (void)lines;
}
void kineto_conv_transpose4x4_pack_weight(const float *weight, int64_t cin, int64_t weight_cout, int64_t cout,
                                          float *packed) {
    (void)weight; (void)cin; (void)weight_cout; (void)cout; (void)packed;
}
void kineto_conv_transpose4x4_rows_avx512(const float *input, int64_t cin, int64_t h, int64_t w, const float *packed,
                                          const float *bias, int64_t cout, int64_t shuffle, float *output,
                                          int64_t out_plane, int64_t item0, int64_t item1) {
    (void)input; (void)cin; (void)h; (void)w; (void)packed; (void)bias; (void)cout; (void)shuffle; (void)output;
    (void)out_plane; (void)item0; (void)item1;
}

#endif
