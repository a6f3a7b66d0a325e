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
}
