import Foundation
import KinetoEngine

/// RIFE-specific fused loops over full-size planes, where the engine's general operators would make extra passes
/// over memory.
enum RIFEKernels {
    /// The reference's last step in one pass: `warp(img0, F[0:2]) · σ(m) + warp(img1, F[2:4]) · (1 − σ(m))`, with
    /// `warp` = `grid_sample(bilinear, border, align_corners=True)`. `source0`/`source1` hold the frame in their
    /// first 3 channels; `flow` `[1, 4, H, W]`, `logits` `[1, 1, H, W]`, `out` `[1, 3, H, W]`.
    static func warpAndMerge(_ source0: Tensor, _ source1: Tensor, flow: Tensor, logits: Tensor, out: Tensor) -> Tensor {
        let (h, w) = (out.h, out.w)
        let plane = h * w
        let image0 = source0.pointer, image1 = source1.pointer, f = flow.pointer, m = logits.pointer, o = out.pointer
        Parallel.forRanges(h, minimum: max(1, 16384 / w)) { rows in
            var a: (Float, Float, Float) = (0, 0, 0), b: (Float, Float, Float) = (0, 0, 0)
            for row in rows {
                for col in 0..<w {
                    let p = row * w + col
                    a = sample3(image0, plane: plane, width: w, height: h, x: Float(col) + f[p], y: Float(row) + f[plane + p])
                    b = sample3(image1, plane: plane, width: w, height: h,
                                x: Float(col) + f[2 * plane + p], y: Float(row) + f[3 * plane + p])
                    let weight = 1 / (1 + Foundation.exp(-m[p]))
                    let rest = 1 - weight
                    o[p] = a.0 * weight + b.0 * rest
                    o[plane + p] = a.1 * weight + b.1 * rest
                    o[2 * plane + p] = a.2 * weight + b.2 * rest
                }
            }
        }
        return out
    }

    /// Bilinear sample of 3 planes at pixel (x, y), clamped to the image (`border`, `align_corners=True`).
    @inline(__always)
    static func sample3(_ src: UnsafeMutablePointer<Float>, plane: Int, width w: Int, height h: Int,
                        x: Float, y: Float) -> (Float, Float, Float) {
        let ix = min(max(x, 0), Float(w - 1)), iy = min(max(y, 0), Float(h - 1))
        let x0 = Int(ix), y0 = Int(iy)   // non-negative: truncation is floor
        let ax = ix - Float(x0), ay = iy - Float(y0)
        // A corner past the last row/column has weight zero (ix = w − 1 exactly); reuse the edge pixel.
        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
        let wNW = (1 - ax) * (1 - ay), wNE = ax * (1 - ay), wSW = (1 - ax) * ay, wSE = ax * ay
        let nw = y0 * w + x0, ne = y0 * w + x1, sw = y1 * w + x0, se = y1 * w + x1
        var s = src
        let c0 = s[nw] * wNW + s[ne] * wNE + s[sw] * wSW + s[se] * wSE
        s += plane
        let c1 = s[nw] * wNW + s[ne] * wNE + s[sw] * wSW + s[se] * wSE
        s += plane
        let c2 = s[nw] * wNW + s[ne] * wNE + s[sw] * wSW + s[se] * wSE
        return (c0, c1, c2)
    }

    // MARK: - Sampling on pixel grids

    /// One output position of a separable bilinear resampling: the two source indices and the weight of the second.
    struct Tap {
        var i0: Int
        var i1: Int
        var lambda: Float
    }

    /// Taps of `interpolate(x, scale_factor: scale, bilinear, align_corners=False)` (PyTorch's
    /// `area_pixel_compute_source_index` with `1 / scale`) at the given output `indices` only, for an input of
    /// `inputSize` samples.
    static func taps(at indices: [Int], inputSize: Int, scale: Double) -> [Tap] {
        let step = Float(1.0 / scale)
        return indices.map { index in
            if scale == 1 { return Tap(i0: index, i1: index, lambda: 0) }
            var real = step * (Float(index) + 0.5) - 0.5
            if real < 0 { real = 0 }
            let i0 = min(Int(real), inputSize - 1)
            let lambda = min(max(real - Float(i0), 0), 1)
            return Tap(i0: i0, i1: i0 < inputSize - 1 ? i0 + 1 : i0, lambda: lambda)
        }
    }

    /// Separable bilinear resampling of every channel of `x` at rows `rows` × columns `cols` into `out`
    /// `[1, C, rows.count, cols.count]`; `transform(value, channel)` is applied to each result.
    static func resample(_ x: Tensor, rows: [Tap], cols: [Tap], out: Tensor, multiplyBy factor: Float = 1) {
        let (c, w) = (x.c, x.w)
        let (ho, wo) = (rows.count, cols.count)
        let inPlane = x.h * w, outPlane = ho * wo
        let src = x.pointer, dst = out.pointer
        cols.withUnsafeBufferPointer { colTaps in
            Parallel.forRanges(c * ho, minimum: max(1, 8192 / max(1, wo))) { range in
                for index in range {
                    let channel = index / ho, row = index % ho
                    let r = rows[row]
                    let top = src + channel * inPlane + r.i0 * w, bottom = src + channel * inPlane + r.i1 * w
                    let line = dst + channel * outPlane + row * wo
                    let lower = r.lambda, upper = 1 - r.lambda
                    for j in 0..<wo {
                        let t = colTaps[j]
                        let a = top[t.i0] * (1 - t.lambda) + top[t.i1] * t.lambda
                        let b = bottom[t.i0] * (1 - t.lambda) + bottom[t.i1] * t.lambda
                        line[j] = (a * upper + b * lower) * factor
                    }
                }
            }
        }
    }

    /// Backward warp of all channels of `source` (full size) at the grid `rows` × `cols`: output (i, j) samples
    /// `source` at (cols[j] + flow[0, i, j], rows[i] + flow[1, i, j]) as `grid_sample(bilinear, border,
    /// align_corners=True)` does. `flow` `[1, 2, rows, cols]`, `out` `[1, C, rows, cols]`.
    static func warp(_ source: Tensor, rows: [Int], cols: [Int], flow: Tensor, out: Tensor) {
        let (c, h, w) = (source.c, source.h, source.w)
        let (ho, wo) = (rows.count, cols.count)
        let plane = h * w, outPlane = ho * wo
        let src = source.pointer, fx = flow.pointer, fy = flow.pointer + outPlane, dst = out.pointer
        let maxX = Float(w - 1), maxY = Float(h - 1)
        cols.withUnsafeBufferPointer { columns in
            Parallel.forRanges(ho, minimum: max(1, 4096 / max(1, wo))) { range in
                for i in range {
                    let y = Float(rows[i])
                    for j in 0..<wo {
                        let p = i * wo + j
                        let ix = min(max(Float(columns[j]) + fx[p], 0), maxX)
                        let iy = min(max(y + fy[p], 0), maxY)
                        let x0 = Int(ix), y0 = Int(iy)   // non-negative: truncation is floor
                        let ax = ix - Float(x0), ay = iy - Float(y0)
                        let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                        let wNW = (1 - ax) * (1 - ay), wNE = ax * (1 - ay), wSW = (1 - ax) * ay, wSE = ax * ay
                        let nw = y0 * w + x0, ne = y0 * w + x1, sw = y1 * w + x0, se = y1 * w + x1
                        var s = src, d = dst + p
                        for _ in 0..<c {
                            d.pointee = s[nw] * wNW + s[ne] * wNE + s[sw] * wSW + s[se] * wSE
                            s += plane
                            d += outPlane
                        }
                    }
                }
            }
        }
    }
}
