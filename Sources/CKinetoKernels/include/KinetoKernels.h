#ifndef KINETO_KERNELS_H
#define KINETO_KERNELS_H
// Hot loops of the networks written with AVX2 or AVX-512 intrinsics. Each function is compiled for its instruction
// set alone (`__attribute__((target(…)))`), so the binary still runs on any x86-64: callers check the CPU
// (`CPUFeatures.current`) and fall back to their Swift loops otherwise. The AVX2 kernels use no FMA: every product
// and sum is rounded as in the Swift loops, so both paths give the same bits. The AVX-512 direct convolution
// replaces im2col + OpenBLAS, whose sums are ordered differently anyway; it is checked against it within a
// tolerance.

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
/// `kineto_warp7_interleaved_avx2` on two grid rows (`y_top`, `y_bottom`, their flows) at `2 · count` grid columns
/// (`columns`), then each 2×2 block averaged as the bilinear halving does (weights ½, rows first): `count` (a
/// multiple of 8) outputs of 7 channels at `dst[c * out_plane + j]`, the same bits as warping then halving.
void kineto_warp7_halve_avx2(const float *src, int64_t width, int64_t height, float y_top, float y_bottom,
                             const int64_t *columns, const float *fx_top, const float *fy_top, const float *fx_bottom,
                             const float *fy_bottom, int64_t count, float *dst, int64_t out_plane);
/// RIFE's last step for `count` (a multiple of 8) outputs of row `y` from column `first_column`: both frames (`src0`,
/// `src1`: `interleave8` copies of `width × height`) warped by `flow` (4 planes of `plane` floats, pointing at this
/// row's first output) and blended by σ(`logits`) into the 3 planes of `dst_plane` floats at `dst`; the same bits
/// as the Swift loop.
void kineto_warp_merge_avx2(const float *src0, const float *src1, int64_t width, int64_t height, float y,
                            int64_t first_column, const float *flow, const float *logits, int64_t count,
                            float *dst, int64_t plane, int64_t dst_plane);
/// Bilinear doubling (`align_corners=False`) of one output row from source rows `top` and `bottom` (weights `upper`,
/// `lower`), interior columns only: for `m` below `pairs` rounded down to 8, outputs `2m + 1` and `2m + 2` from source
/// columns `m`, `m + 1` (¾, ¼ and ¼, ¾), times `factor`, added to `line` with `accumulate`; the Swift loop's bits.
void kineto_double_row_avx2(const float *top, const float *bottom, float upper, float lower, float factor,
                            int accumulate, float *line, int64_t pairs);
void kineto_gather_even_avx2(const float *src, float *dst, int64_t count);

/// Winograd F(4×4, 3×3) input transform `V = Bᵀ d B` of one row of `tiles_w` tiles of one channel. `rows`: the six
/// input rows the tiles cover (`w` floats each; a row outside the frame as the caller pads it, e.g. zeros), read in
/// place and padded at their ends as they are read: column −1 and columns from `w` on are zeros, or with `reflect`
/// mirrored (ReflectionPad2d(1); zeros beyond the mirror). `scratch`: at least `36 · (tiles_w + 8)` floats. Tile
/// `t`'s value `ξ = 6i + s` goes to `v[ξ · xi_stride + t]`.
void kineto_winograd_input_row_avx2(const float *const *rows, int64_t w, int64_t reflect, int64_t tiles_w,
                                    float *scratch, float *v, int64_t xi_stride);

/// Winograd F(4×4, 3×3) output transform `Y = Aᵀ M A + bias` of one row of `tiles_w` tiles of one channel, finished
/// into the output as the Swift loop finishes it (same bits): tile `t`'s value `ξ = 6i + s` is
/// `m[ξ · xi_stride + t]`; output row `r` (0…3), columns `0 ..< w`, becomes `dst[r][j] = act(y + skip[r][j]) +
/// post[r][j]` with `act` LeakyReLU (`v < 0 ? v · slope : v`) when `leaky`, else none (`dst[r]` null: past the
/// bottom, skipped; `skip`, `post` null: none). `scratch`: at least `24 · (tiles_w + 8)` floats.
void kineto_winograd_output_row_avx2(const float *m, int64_t xi_stride, int64_t tiles_w, float bias, float *scratch,
                                     float *const *dst, const float *const *skip, const float *const *post, int64_t w,
                                     int64_t leaky, float slope);

/// Direct 3×3 convolution with zero padding 1 and stride 1 or 2, in AVX-512 with fused multiply-adds (so its sums
/// round differently from im2col + GEMM; the tests bound the difference): output rows `row0 ..< row1` of `output`
/// `[cout][ho][wo]` from `input` `[cin][h][w]`, plus `bias` (or none), plus `residual` (`[cout][ho][wo]`, or none),
/// then `v < 0 ? v · slope : v` when `leaky`.
/// `cout` must be a multiple of 16; `packed` is the weight laid out by `kineto_conv3x3_pack_weight`; `lines` is
/// scratch of `cin · 3 · stride · kineto_conv3x3_line_floats(wo)` floats, one per calling thread.
void kineto_conv3x3_rows_avx512(const float *input, int64_t cin, int64_t h, int64_t w, int64_t stride,
                                const float *packed, const float *bias, const float *residual, int64_t cout,
                                float slope, int64_t leaky, float *output, int64_t ho, int64_t wo, int64_t row0, int64_t row1, float *lines);

/// Floats of one padded input row (one phase of it at stride 2) in `kineto_conv3x3_rows_avx512`'s scratch.
int64_t kineto_conv3x3_line_floats(int64_t out_width);

/// `weight` `[cout][cin][3][3]` as `[cout / 16][cin][9][16]` (16 output channels side by side) into `packed`.
void kineto_conv3x3_pack_weight(const float *weight, int64_t cout, int64_t cin, float *packed);

/// `ConvTranspose2d(kernel 4, stride 2, padding 1)` computed directly in AVX-512 (fused multiply-adds): each
/// output row as the two 2×2 phase convolutions it takes, 8 output channels × 16 input columns in registers, no
/// column buffer and no scatter. `input` `[cin][h][w]`; `packed` from `kineto_conv_transpose4x4_pack_weight`;
/// `bias` `[cout]` or null. Computes work items `item0 ..< item1` of `ceil(cout / 8) · 2h` (channel block, output
/// row). Without `shuffle` channel `o` goes to `output + o · out_plane` (`2h × 2w`); with it, PixelShuffle(2)
/// follows: channel `o = 4p + 2i + j`, pixel `(Y, X)` goes to plane `p` (`4h × 4w`) at `(2Y + i, 2X + j)`.
void kineto_conv_transpose4x4_rows_avx512(const float *input, int64_t cin, int64_t h, int64_t w, const float *packed,
                                          const float *bias, int64_t cout, int64_t shuffle, float *output,
                                          int64_t out_plane, int64_t item0, int64_t item1);

/// The transposed convolution's weight `[cin][weight_cout][4][4]` (its first `cout` output channels) as
/// `[ceil(cout / 8)][cin][16][8]`, zeros past `cout`.
void kineto_conv_transpose4x4_pack_weight(const float *weight, int64_t cin, int64_t weight_cout, int64_t cout,
                                          float *packed);

/// SHA-256's 64 round constants (K), for the hardware and the portable compression alike.
extern const uint32_t kineto_sha256_round_constants[64];

/// Whether this CPU has the SHA extensions (and SSSE3, SSE4.1) that `kineto_sha256_blocks_hardware` needs.
int kineto_sha256_hardware_available(void);

/// SHA-256's compression function over `count` consecutive 64-byte `blocks`, updating `state` (the eight words
/// a…h) with the SHA extensions: about ten times the speed of the portable Swift loop.
void kineto_sha256_blocks_hardware(uint32_t *state, const uint8_t *blocks, int64_t count);

#ifdef __cplusplus
}
#endif
#endif
