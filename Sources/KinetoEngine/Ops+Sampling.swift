import Foundation

/// How `gridSample` treats sample points outside the input (PyTorch's `padding_mode`).
public enum GridPadding: String, Sendable {
    /// Points outside contribute zero.
    case zeros
    /// Coordinates are clamped to the edge pixels.
    case border
}

/// Interpolation of `interpolate` and `gridSample` (PyTorch's `mode`).
public enum InterpolationMode: String, Sendable {
    case bilinear
    case nearest
}

extension Ops {
    /// `torch.nn.functional.grid_sample` in 2-D: `x` `[N, C, H, W]`, `grid` `[N, Hg, Wg, 2]` holding normalized
    /// (x, y) in [-1, 1]; output `[N, C, Hg, Wg]`. Bilinear or nearest, `zeros` or `border` padding.
    public static func gridSample(
        _ x: Tensor, grid: Tensor, mode: InterpolationMode = .bilinear,
        padding: GridPadding = .zeros, alignCorners: Bool = false,
        out: Tensor? = nil
    ) -> Tensor {
        Engine.check(
            grid.rank == 4 && grid.shape[3] == 2 && grid.shape[0] == x.n,
            "gridSample: grid \(grid.shape) must be [N, Hg, Wg, 2] for input \(x.shape)")
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        let (hg, wg) = (grid.shape[1], grid.shape[2])
        let y = output([n, c, hg, wg], like: x, out: out, "gridSample")
        let fw = Float(w)
        let fh = Float(h)
        for item in 0..<n {
            let g = grid.pointer(item: item)
            let src = x.pointer(item: item)
            let dst = y.pointer(item: item)
            Parallel.forRanges(hg, minimum: max(1, 4096 / max(1, wg * c))) { rows in
                for row in rows {
                    for col in 0..<wg {
                        let p = row * wg + col
                        let gx = g[2 * p]
                        let gy = g[2 * p + 1]
                        // PyTorch's grid_sampler_unnormalize.
                        var ix = alignCorners ? (gx + 1) / 2 * (fw - 1) : ((gx + 1) * fw - 1) / 2
                        var iy = alignCorners ? (gy + 1) / 2 * (fh - 1) : ((gy + 1) * fh - 1) / 2
                        if padding == .border {
                            ix = min(max(ix, 0), fw - 1)
                            iy = min(max(iy, 0), fh - 1)
                        }
                        sample(
                            src, channels: c, height: h, width: w, x: ix, y: iy, mode: mode,
                            into: dst + p, stride: hg * wg)
                    }
                }
            }
        }
        return y
    }

    /// Backward warping by a flow field, as RIFE's `warp` does with `grid_sample(bilinear, border,
    /// align_corners=True)`: output pixel (i, j) samples `x` at (j + flow[0, i, j], i + flow[1, i, j]) in pixels,
    /// clamped to the image. `x` `[N, C, H, W]`, `flow` `[N, 2, H, W]` (x then y displacement).
    public static func warp(_ x: Tensor, flow: Tensor, out: Tensor? = nil) -> Tensor {
        Engine.check(
            flow.rank == 4 && flow.c == 2 && flow.n == x.n && flow.h == x.h && flow.w == x.w,
            "warp: flow \(flow.shape) must be [N, 2, H, W] for input \(x.shape)")
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        let y = output(x.shape, like: x, out: out, "warp")
        let maxX = Float(w - 1)
        let maxY = Float(h - 1)
        for item in 0..<n {
            let fx = flow.pointer(item: item)
            let fy = fx + h * w
            let src = x.pointer(item: item)
            let dst = y.pointer(item: item)
            Parallel.forRanges(h, minimum: max(1, 4096 / max(1, w * c))) { rows in
                for row in rows {
                    for col in 0..<w {
                        let p = row * w + col
                        // Clamped coordinates are ≥ 0, so truncation is floor; at the last row/column the weight of
                        // the next one is 0 and its clamped index serves (PyTorch's border padding, same values).
                        let ix = min(max(Float(col) + fx[p], 0), maxX)
                        let iy = min(max(Float(row) + fy[p], 0), maxY)
                        let x0 = Int(ix)
                        let y0 = Int(iy)
                        let ax = ix - Float(x0)
                        let ay = iy - Float(y0)
                        let x1 = min(x0 + 1, w - 1)
                        let y1 = min(y0 + 1, h - 1)
                        let wNW = (1 - ax) * (1 - ay)
                        let wNE = ax * (1 - ay)
                        let wSW = (1 - ax) * ay
                        let wSE = ax * ay
                        let oNW = y0 * w + x0
                        let oNE = y0 * w + x1
                        let oSW = y1 * w + x0
                        let oSE = y1 * w + x1
                        var s = src
                        var d = dst + p
                        for _ in 0..<c {
                            d.pointee = s[oNW] * wNW + s[oNE] * wNE + s[oSW] * wSW + s[oSE] * wSE
                            s += h * w
                            d += h * w
                        }
                    }
                }
            }
        }
        return y
    }

    /// `floor` for coordinates well inside the `Int` range, without a libm call.
    @inline(__always)
    static func floor(_ v: Float) -> Float {
        guard abs(v) < 1e9 else { return v.rounded(.down) }
        let t = Float(Int(v))
        return t > v ? t - 1 : t
    }

    /// Samples all channels at pixel coordinates (x, y); corners outside the image contribute zero.
    @inline(__always)
    static func sample(
        _ src: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int, x: Float, y: Float,
        mode: InterpolationMode, into dst: UnsafeMutablePointer<Float>, stride: Int
    ) {
        let plane = h * w
        if mode == .nearest {
            // PyTorch rounds half to even (nearbyint).
            let xi = Int(x.rounded(.toNearestOrEven))
            let yi = Int(y.rounded(.toNearestOrEven))
            let inside = xi >= 0 && xi < w && yi >= 0 && yi < h
            let offset = yi * w + xi
            for ch in 0..<channels { dst[ch * stride] = inside ? src[ch * plane + offset] : 0 }
            return
        }
        let x0f = Ops.floor(x)
        let y0f = Ops.floor(y)
        let x0 = Int(x0f)
        let y0 = Int(y0f)
        let x1 = x0 + 1
        let y1 = y0 + 1
        let ax = x - x0f
        let ay = y - y0f
        var wNW = (1 - ax) * (1 - ay)
        var wNE = ax * (1 - ay)
        var wSW = (1 - ax) * ay
        var wSE = ax * ay
        let x0in = x0 >= 0 && x0 < w
        let x1in = x1 >= 0 && x1 < w
        let y0in = y0 >= 0 && y0 < h
        let y1in = y1 >= 0 && y1 < h
        if !(x0in && y0in) { wNW = 0 }
        if !(x1in && y0in) { wNE = 0 }
        if !(x0in && y1in) { wSW = 0 }
        if !(x1in && y1in) { wSE = 0 }
        // Clamped indices: weights of outside corners are zero, so any in-range index serves.
        let cx0 = min(max(x0, 0), w - 1)
        let cx1 = min(max(x1, 0), w - 1)
        let cy0 = min(max(y0, 0), h - 1)
        let cy1 = min(max(y1, 0), h - 1)
        let oNW = cy0 * w + cx0
        let oNE = cy0 * w + cx1
        let oSW = cy1 * w + cx0
        let oSE = cy1 * w + cx1
        var s = src
        for ch in 0..<channels {
            dst[ch * stride] = s[oNW] * wNW + s[oNE] * wNE + s[oSW] * wSW + s[oSE] * wSE
            s += plane
        }
    }

    /// `torch.nn.functional.interpolate` with `scale_factor` (output size `floor(size · scale)`; the kernel uses
    /// `1 / scale` as PyTorch does when a scale factor is given, unless `alignCorners`).
    /// `alignCorners` applies to bilinear only.
    public static func interpolate(
        _ x: Tensor, scaleFactor: Double, mode: InterpolationMode = .bilinear,
        alignCorners: Bool = false, out: Tensor? = nil
    ) -> Tensor {
        interpolate(x, scaleH: scaleFactor, scaleW: scaleFactor, mode: mode, alignCorners: alignCorners, out: out)
    }

    /// `interpolate` with separate scale factors per axis.
    public static func interpolate(
        _ x: Tensor, scaleH: Double, scaleW: Double, mode: InterpolationMode = .bilinear,
        alignCorners: Bool = false, out: Tensor? = nil
    ) -> Tensor {
        let ho = Int((Double(x.h) * scaleH).rounded(.down))
        let wo = Int((Double(x.w) * scaleW).rounded(.down))
        return resize(
            x, height: ho, width: wo, scaleH: scaleH, scaleW: scaleW, mode: mode,
            alignCorners: alignCorners, out: out)
    }

    /// `torch.nn.functional.interpolate` with an explicit output `size` (height, width).
    public static func interpolate(
        _ x: Tensor, size: (height: Int, width: Int), mode: InterpolationMode = .bilinear,
        alignCorners: Bool = false, out: Tensor? = nil
    ) -> Tensor {
        resize(
            x, height: size.height, width: size.width, scaleH: nil, scaleW: nil, mode: mode,
            alignCorners: alignCorners, out: out)
    }

    static func resize(
        _ x: Tensor, height ho: Int, width wo: Int, scaleH: Double?, scaleW: Double?,
        mode: InterpolationMode, alignCorners: Bool, out: Tensor?
    ) -> Tensor {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        let y = output([n, c, ho, wo], like: x, out: out, "interpolate")
        // Per output row/column: source indices and weights (PyTorch's compute_indices_weights_linear / nearest_idx).
        let rows =
            mode == .bilinear
            ? linearTaps(input: h, output: ho, scale: scaleH, alignCorners: alignCorners)
            : nearestTaps(input: h, output: ho, scale: scaleH)
        let cols =
            mode == .bilinear
            ? linearTaps(input: w, output: wo, scale: scaleW, alignCorners: alignCorners)
            : nearestTaps(input: w, output: wo, scale: scaleW)
        // Planes × row blocks, so that even a single-channel map (a mask) uses every core.
        let planes = n * c
        let blocks =
            planes >= 2 * Parallel.maxThreads
            ? 1 : max(1, min(ho / 16, (2 * Parallel.maxThreads + planes - 1) / planes))
        let rowsPerBlock = (ho + blocks - 1) / blocks
        Parallel.forEach(planes * blocks) { index in
            let plane = index / blocks
            let block = index % blocks
            let item = plane / c
            let channel = plane % c
            let src = x.pointer(item: item) + channel * h * w
            let dst = y.pointer(item: item) + channel * ho * wo
            for i in (block * rowsPerBlock)..<min(ho, (block + 1) * rowsPerBlock) {
                let r = rows[i]
                let top = src + r.i0 * w
                let bottom = src + r.i1 * w
                let line = dst + i * wo
                for j in 0..<wo {
                    let t = cols[j]
                    let upper = top[t.i0] * (1 - t.lambda) + top[t.i1] * t.lambda
                    let lower = bottom[t.i0] * (1 - t.lambda) + bottom[t.i1] * t.lambda
                    line[j] = upper * (1 - r.lambda) + lower * r.lambda
                }
            }
        }
        return y
    }

    struct Tap {
        var i0: Int
        var i1: Int
        var lambda: Float
    }

    static func linearTaps(input: Int, output: Int, scale: Double?, alignCorners: Bool) -> [Tap] {
        let s: Float
        if alignCorners {
            s = output > 1 ? Float(input - 1) / Float(output - 1) : 0
        } else if let scale, scale > 0 {
            s = Float(1.0 / scale)
        } else {
            s = Float(input) / Float(output)
        }
        return (0..<output).map { dst in
            var real = alignCorners ? s * Float(dst) : s * (Float(dst) + 0.5) - 0.5
            if real < 0 { real = 0 }
            let i0 = min(Int(real), input - 1)
            let lambda = min(max(real - Float(i0), 0), 1)
            return Tap(i0: i0, i1: i0 < input - 1 ? i0 + 1 : i0, lambda: lambda)
        }
    }

    static func nearestTaps(input: Int, output: Int, scale: Double?) -> [Tap] {
        let s: Float = (scale.map { $0 > 0 } ?? false) ? Float(1.0 / scale!) : Float(input) / Float(output)
        return (0..<output).map { dst in
            let i: Int
            if output == input {
                i = dst
            } else if output == 2 * input {
                i = dst >> 1
            } else {
                i = min(Int((Float(dst) * s).rounded(.down)), input - 1)
            }
            return Tap(i0: i, i1: i, lambda: 0)
        }
    }
}
