#ifndef KINETO_KERNELS_H
#define KINETO_KERNELS_H
// Hot loops of the networks written with AVX2 intrinsics. Each function is compiled for AVX2 alone
// (`__attribute__((target("avx2")))`), so the binary still runs on any x86-64: callers check the CPU
// (`CPUFeatures.current`) and fall back to their Swift loops otherwise. No FMA is used: every product and sum is
// rounded as in the Swift loops, so both paths give the same bits.

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Whether these kernels were compiled in (x86-64 only).
int kineto_kernels_available(void);

/// Bilinear `grid_sample` (border, align_corners=True) of 7 channels from a pixel-interleaved source (8 floats a
/// pixel, `width × height`), for `count` (a multiple of 8) consecutive outputs of one row at height `y`:
/// output `j` samples at (`columns[j]` + `fx[j]`, `y` + `fy[j]`); channel `c` of it goes to `dst[c * out_plane + j]`.
void kineto_warp7_interleaved_avx2(const float *src, int64_t width, int64_t height, float y,
                                   const int64_t *columns, const float *fx, const float *fy, int64_t count,
                                   float *dst, int64_t out_plane);

/// `dst[i] = src[2 i]` for `i < count` (a stride-2 convolution's im2col rows); reads nothing past `src[2 (count − 1)]`.
void kineto_gather_even_avx2(const float *src, float *dst, int64_t count);

/// Winograd F(4×4, 3×3) input transform `V = Bᵀ d B` of one row of `tiles_w` tiles of one channel. `lines`: the six
/// zero- or reflection-padded input rows the tiles cover, one after another, each `4 · tiles_w + 8` floats (input
/// column `j − 1` at `j`). `scratch`: at least `36 · (tiles_w + 8)` floats. Tile `t`'s value `ξ = 6i + s` goes to
/// `v[ξ · xi_stride + t]`.
void kineto_winograd_input_row_avx2(const float *lines, int64_t tiles_w, float *scratch, float *v, int64_t xi_stride);

/// Winograd F(4×4, 3×3) output transform `Y = Aᵀ M A + bias` of one row of `tiles_w` tiles of one channel: tile
/// `t`'s value `ξ = 6i + s` is `m[ξ · xi_stride + t]`; output row `r` (0…3) goes to `lines + r · 4 · tiles_w`.
/// `scratch`: at least `24 · (tiles_w + 8)` floats.
void kineto_winograd_output_row_avx2(const float *m, int64_t xi_stride, int64_t tiles_w, float bias, float *scratch,
                                     float *lines);

#ifdef __cplusplus
}
#endif
#endif
