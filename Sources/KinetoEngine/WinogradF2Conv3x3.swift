import Foundation

/// A 3×3, stride-1, zero-padded convolution (optionally with a residual added before a LeakyReLU: RIFE's `ResConv`) by
/// Winograd's F(2×2, 3×3): each 2×2 output tile takes 16 multiplications per channel pair instead of 36, as 16
/// GEMMs `U_ξ · V_ξ` between the transformed filters (`U = G g Gᵀ`, made once at load) and transformed 4×4 input
/// tiles (`V = Bᵀ d B`), then `Y = Aᵀ M A`.
///
/// For RIFE's block 0 (192 channels on a map of 10×8 at 480p, 20×12 at 720p), too small for F(4×4, 3×3)'s GEMMs
/// (`WinogradConv3x3`) and for im2col's, whose GEMM is only as wide as the map: 2.25× fewer multiplications than
/// im2col + GEMM in GEMMs as wide as im2col's. The transforms add and subtract only (float32 error of the order of
/// 1e-6 relative).
public struct WinogradF2Conv3x3: @unchecked Sendable {
    /// `U`: `[16][K][C]`.
    let transformedWeight: [Float]
    /// One per output channel (zeros without a bias).
    let bias: [Float]
    public let channels: Int
    let slope: Float

    /// From a 3×3 convolution, stride 1, padding 1, one group, `channels → channels`, with LeakyReLU (or none).
    public init?(_ conv: Conv2d) {
        let w = conv.weight
        guard w.rank == 4, w.shape[0] == w.shape[1], w.shape[2] == 3, w.shape[3] == 3, conv.groups == 1,
            conv.window == Window2D(stride: 1, padding: 1, dilation: 1)
        else { return nil }
        switch conv.activation {
        case .leakyReLU(let s): slope = s
        case .none: slope = 1
        default: return nil
        }
        let c = w.shape[0]
        channels = c
        bias = conv.bias?.toArray() ?? [Float](repeating: 0, count: c)
        // G (4×3) for the points 0, ±1, ∞.
        transformedWeight = WinogradConv3x3.transformedFilters(w, g: [1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1])
    }

    /// `leakyReLU(conv(x) + residual)` for `x` `[1, C, H, W]` (`residual` of the same shape, or none), into `out` if
    /// given (which may be a channel view), else a tensor from `x`'s pool.
    public func callAsFunction(_ x: Tensor, residual: Tensor? = nil, out: Tensor? = nil) -> Tensor {
        let (c, h, w) = (channels, x.h, x.w)
        Engine.check(x.n == 1 && x.c == c, "Winograd F(2×2, 3×3): input \(x.shape) must be [1, \(c), H, W]")
        let y = out ?? Tensor.empty([1, c, h, w], like: x)
        Engine.check(y.shape == [1, c, h, w], "Winograd F(2×2, 3×3): output \(y.shape) must be \([1, c, h, w])")
        if let residual {
            Engine.check(
                residual.shape == y.shape, "Winograd F(2×2, 3×3): residual \(residual.shape) must be \(y.shape)")
        }
        let tilesH = (h + 1) / 2
        let tilesW = (w + 1) / 2
        let tiles = tilesH * tilesW
        let scratch = Tensor.empty([2 * 16 * c * tiles], like: x)
        let v = scratch.pointer
        let m = v + 16 * c * tiles
        let input = x.pointer
        // V[ξ][ch][t] = Bᵀ d B, d the 4×4 patch at rows 2·ty − 1 …, columns 2·tx − 1 … (zeros outside).
        Parallel.forRanges(c, minimum: max(1, 4096 / max(1, tiles))) { range in
            for ch in range {
                let plane = input + ch * h * w
                @inline(__always) func at(_ r: Int, _ col: Int) -> Float {
                    r >= 0 && r < h && col >= 0 && col < w ? plane[r * w + col] : 0
                }
                for ty in 0..<tilesH {
                    for tx in 0..<tilesW {
                        let r0 = 2 * ty - 1
                        let c0 = 2 * tx - 1
                        @inline(__always) func patchRow(_ i: Int) -> SIMD4<Float> {
                            SIMD4(at(r0 + i, c0), at(r0 + i, c0 + 1), at(r0 + i, c0 + 2), at(r0 + i, c0 + 3))
                        }
                        let d0 = patchRow(0)
                        let d1 = patchRow(1)
                        let d2 = patchRow(2)
                        let d3 = patchRow(3)
                        let t = ty * tilesW + tx
                        // Rows (Bᵀ d), then columns (· B), into V.
                        @inline(__always) func store(_ row: SIMD4<Float>, _ r: Int) {
                            let base = v + (r * 4 * c + ch) * tiles + t
                            let step = c * tiles
                            base[0] = row[0] - row[2]
                            base[step] = row[1] + row[2]
                            base[2 * step] = row[2] - row[1]
                            base[3 * step] = row[1] - row[3]
                        }
                        store(d0 - d2, 0)
                        store(d1 + d2, 1)
                        store(d2 - d1, 2)
                        store(d1 - d3, 3)
                    }
                }
            }
        }
        transformedWeight.withUnsafeBufferPointer { u in
            let u = u.baseAddress!
            Parallel.forEach(16) { xi in
                Gemm.sgemm(
                    m: c, n: tiles, k: c, a: u + xi * c * c, lda: c, b: v + xi * c * tiles, ldb: tiles,
                    c: m + xi * c * tiles, ldc: tiles)
            }
        }
        // Y = Aᵀ M A, + bias, + residual, LeakyReLU.
        let out = y.pointer
        let skipPlanes = residual?.pointer
        let slope = self.slope
        bias.withUnsafeBufferPointer { bias in
            Parallel.forRanges(c, minimum: max(1, 4096 / max(1, tiles))) { range in
                for k in range {
                    let b = bias[k]
                    let skip = skipPlanes.map { $0 + k * h * w }
                    let dst = out + k * h * w
                    for ty in 0..<tilesH {
                        for tx in 0..<tilesW {
                            let t = ty * tilesW + tx
                            @inline(__always) func row(_ r: Int) -> SIMD4<Float> {
                                let base = m + (r * 4 * c + k) * tiles + t
                                let step = c * tiles
                                return SIMD4(base[0], base[step], base[2 * step], base[3 * step])
                            }
                            let m0 = row(0)
                            let m1 = row(1)
                            let m2 = row(2)
                            let m3 = row(3)
                            // Aᵀ M: two rows, then · A: two columns.
                            let top = m0 + m1 + m2
                            let bottom = m1 - m2 - m3
                            let r = 2 * ty
                            let col = 2 * tx
                            @inline(__always) func put(_ value: Float, _ r: Int, _ col: Int) {
                                guard r < h && col < w else { return }
                                let s = skip.map { value + b + $0[r * w + col] } ?? value + b
                                dst[r * w + col] = s >= 0 ? s : s * slope
                            }
                            put(top[0] + top[1] + top[2], r, col)
                            put(top[1] - top[2] - top[3], r, col + 1)
                            put(bottom[0] + bottom[1] + bottom[2], r + 1, col)
                            put(bottom[1] - bottom[2] - bottom[3], r + 1, col + 1)
                        }
                    }
                }
            }
        }
        return y
    }
}
