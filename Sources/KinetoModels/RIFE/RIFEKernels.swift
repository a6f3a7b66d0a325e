import CKinetoKernels
import Foundation
import KinetoEngine

/// RIFE-specific fused loops over full-size planes, where the engine's general operators would make extra passes
/// over memory.
package enum RIFEKernels {
    /// The reference's last step in one pass: `warp(img0, F[0:2]) · σ(m) + warp(img1, F[2:4]) · (1 − σ(m))`, with
    /// `warp` = `grid_sample(bilinear, border, align_corners=True)`. `packed0`/`packed1` are the padded frames
    /// (`sourceHeight × sourceWidth`) made by `interleave8`, the frame in lanes 0-2; `flow` `[1, 4, b, w]` and
    /// `logits` `[1, 1, b, w]` cover rows `firstRow ..< firstRow + b` of the top-left `h × w` that `out`
    /// `[1, 3, h, w]` covers (b = h: the whole frame at once), and those rows of `out` are written.
    @discardableResult
    package static func warpAndMerge(
        _ packed0: UnsafeMutablePointer<Float>, _ packed1: UnsafeMutablePointer<Float>,
        sourceHeight: Int, sourceWidth: Int, flow: Tensor, logits: Tensor, out: Tensor,
        firstRow: Int = 0, avx2: Bool = VectorKernels.avx2
    ) -> Tensor {
        let (rows, w) = (flow.h, out.w)
        let plane = rows * w
        let outPlane = out.h * w
        let image0 = UnsafeRawPointer(packed0)
        let image1 = UnsafeRawPointer(packed1)
        let f = flow.pointer
        let m = logits.pointer
        let o = out.pointer + firstRow * w
        Parallel.forRanges(rows, minimum: max(1, 16384 / w)) { band in
            for row in band {
                let y = Float(firstRow + row)
                // Eight outputs at a time in AVX2 (the same arithmetic), the rest below.
                let first = avx2 ? w / 8 * 8 : 0
                if first > 0 {
                    kineto_warp_merge_avx2(
                        packed0, packed1, Int64(sourceWidth), Int64(sourceHeight), y, 0,
                        f + row * w, m + row * w, Int64(first), o + row * w, Int64(plane),
                        Int64(outPlane))
                }
                for col in first..<w {
                    let p = row * w + col
                    let a = sample4(
                        image0, width: sourceWidth, height: sourceHeight,
                        x: Float(col) + f[p], y: y + f[plane + p])
                    let b = sample4(
                        image1, width: sourceWidth, height: sourceHeight,
                        x: Float(col) + f[2 * plane + p], y: y + f[3 * plane + p])
                    let weight = 1 / (1 + Foundation.exp(-m[p]))
                    let rest = 1 - weight
                    let value = a * weight + b * rest
                    o[p] = value[0]
                    o[outPlane + p] = value[1]
                    o[2 * outPlane + p] = value[2]
                }
            }
        }
        return out
    }

    /// Bilinear sample of the first 4 lanes of an `interleave8` source at pixel (x, y), clamped to the image
    /// (`border`, `align_corners=True`).
    @inline(__always)
    static func sample4(_ src: UnsafeRawPointer, width w: Int, height h: Int, x: Float, y: Float) -> SIMD4<Float> {
        let ix = min(max(x, 0), Float(w - 1))
        let iy = min(max(y, 0), Float(h - 1))
        let x0 = Int(ix)
        let y0 = Int(iy)  // non-negative: truncation is floor
        let ax = ix - Float(x0)
        let ay = iy - Float(y0)
        // A corner past the last row/column has weight zero (ix = w − 1 exactly); reuse the edge pixel.
        let x1 = min(x0 + 1, w - 1)
        let y1 = min(y0 + 1, h - 1)
        let wNW = (1 - ax) * (1 - ay)
        let wNE = ax * (1 - ay)
        let wSW = (1 - ax) * ay
        let wSE = ax * ay
        let nw = src.loadUnaligned(fromByteOffset: 32 * (y0 * w + x0), as: SIMD4<Float>.self)
        let ne = src.loadUnaligned(fromByteOffset: 32 * (y0 * w + x1), as: SIMD4<Float>.self)
        let sw = src.loadUnaligned(fromByteOffset: 32 * (y1 * w + x0), as: SIMD4<Float>.self)
        let se = src.loadUnaligned(fromByteOffset: 32 * (y1 * w + x1), as: SIMD4<Float>.self)
        return nw * wNW + ne * wNE + sw * wSW + se * wSE
    }

    // MARK: - Sampling on pixel grids

    /// One output position of a separable bilinear resampling: the two source indices and the weight of the second.
    package struct Tap {
        package var i0: Int
        package var i1: Int
        package var lambda: Float
    }

    /// Taps of `interpolate(x, scale_factor: scale, bilinear, align_corners=False)` (PyTorch's
    /// `area_pixel_compute_source_index` with `1 / scale`) at the given output `indices` only, for an input of
    /// `inputSize` samples.
    package static func taps(at indices: [Int], inputSize: Int, scale: Double) -> [Tap] {
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
    /// `[1, C, rows.count, cols.count]`, each result multiplied by `factor`.
    /// With `accumulate`, the result is added to what `out` holds (`out + value · factor`, the reference's
    /// `flow + tmp · scale`).
    package static func resample(
        _ x: Tensor, rows: [Tap], cols: [Tap], out: Tensor, multiplyBy factor: Float = 1,
        accumulate: Bool = false, avx2: Bool = VectorKernels.avx2
    ) {
        let (c, w) = (x.c, x.w)
        let (ho, wo) = (rows.count, cols.count)
        let inPlane = x.h * w
        let outPlane = ho * wo
        let src = x.pointer
        let dst = out.pointer
        let doubling = isDoubling(cols)
        let upscaling = doubling ? nil : upscalingFactor(cols, inputSize: w)
        // Columns read one to one (scale 1: the last block's flow and mask at full size): `(a · 1 + b · 0) · factor`
        // is `a · factor` exactly, so contiguous runs are plain vector loops with the same bits.
        let copying =
            cols.enumerated().allSatisfy {
                $0.element.i0 == cols[0].i0 + $0.offset && $0.element.i1 == $0.element.i0
                    && $0.element.lambda == 0
            } && rows.allSatisfy { $0.lambda == 0 }
        // With `upscaling` = s: the weights (r + ½)/s of output s·m + s/2 + r on source m + 1, four lanes at a time.
        let lambdas = (0..<((upscaling ?? 0) / 4)).map { g in
            SIMD4<Float>((0..<4).map { (Float(4 * g + $0) + 0.5) / Float(upscaling!) })
        }
        cols.withUnsafeBufferPointer { colTaps in
            Parallel.forRanges(c * ho, minimum: max(1, 8192 / max(1, wo))) { range in
                for index in range {
                    let channel = index / ho
                    let row = index % ho
                    let r = rows[row]
                    let top = src + channel * inPlane + r.i0 * w
                    let bottom = src + channel * inPlane + r.i1 * w
                    let line = dst + channel * outPlane + row * wo
                    let lower = r.lambda
                    let upper = 1 - r.lambda
                    if copying {
                        let source = top + cols[0].i0
                        if accumulate {
                            for j in 0..<wo { line[j] = line[j] + source[j] * factor }
                        } else {
                            for j in 0..<wo { line[j] = source[j] * factor }
                        }
                        continue
                    }
                    if let s = upscaling {
                        // Interior outputs s·m + s/2 ..< s·m + s/2 + s read source columns m and m + 1: the same
                        // products and sums as the general loop, four outputs at a time.
                        let vu = SIMD4<Float>(repeating: upper)
                        let vl = SIMD4<Float>(repeating: lower)
                        let vf = SIMD4<Float>(repeating: factor)
                        for m in 0..<(w - 1) {
                            let t0 = SIMD4<Float>(repeating: top[m])
                            let t1 = SIMD4<Float>(repeating: top[m + 1])
                            let b0 = SIMD4<Float>(repeating: bottom[m])
                            let b1 = SIMD4<Float>(repeating: bottom[m + 1])
                            let target = line + s * m + s / 2
                            for (g, lambda) in lambdas.enumerated() {
                                let rest = 1 - lambda
                                let a = t0 * rest + t1 * lambda
                                let b = b0 * rest + b1 * lambda
                                var value = (a * vu + b * vl) * vf
                                if accumulate { value = load4(target + 4 * g) + value }
                                store4(value, target + 4 * g)
                            }
                        }
                        // The clamped edges: s/2 outputs at each end.
                        for j in Array(0..<(s / 2)) + Array((wo - s / 2)..<wo) {
                            let t = colTaps[j]
                            let a = top[t.i0] * (1 - t.lambda) + top[t.i1] * t.lambda
                            let b = bottom[t.i0] * (1 - t.lambda) + bottom[t.i1] * t.lambda
                            let value = (a * upper + b * lower) * factor
                            line[j] = accumulate ? line[j] + value : value
                        }
                        continue
                    }
                    if doubling {
                        // Interior columns 1 ..< wo − 1 in pairs (2m + 1, 2m + 2) reading source columns m, m + 1
                        // with weights (¾, ¼) and (¼, ¾): the same products and sums as the general loop, four
                        // pairs at a time.
                        let vu = SIMD4<Float>(repeating: upper)
                        let vl = SIMD4<Float>(repeating: lower)
                        let vf = SIMD4<Float>(repeating: factor)
                        let near = SIMD4<Float>(repeating: 0.75)
                        let far = SIMD4<Float>(repeating: 0.25)
                        let pairs = wo / 2 - 1
                        var m = 0
                        if avx2 {
                            m = pairs / 8 * 8
                            kineto_double_row_avx2(
                                top, bottom, upper, lower, factor, accumulate ? 1 : 0, line, Int64(pairs))
                        }
                        while m + 4 <= pairs {
                            let p0 = load4(top + m)
                            let q0 = load4(top + m + 1)
                            let p1 = load4(bottom + m)
                            let q1 = load4(bottom + m + 1)
                            let oddA = p0 * near + q0 * far
                            let evenA = p0 * far + q0 * near
                            let oddB = p1 * near + q1 * far
                            let evenB = p1 * far + q1 * near
                            var odd = (oddA * vu + oddB * vl) * vf
                            var even = (evenA * vu + evenB * vl) * vf
                            let target = line + 2 * m + 1
                            if accumulate {
                                let first = load4(target)
                                let second = load4(target + 4)
                                odd += SIMD4(first[0], first[2], second[0], second[2])
                                even += SIMD4(first[1], first[3], second[1], second[3])
                            }
                            store4(SIMD4(odd[0], even[0], odd[1], even[1]), target)
                            store4(SIMD4(odd[2], even[2], odd[3], even[3]), target + 4)
                            m += 4
                        }
                        var j = 2 * m + 1
                        while true {
                            let t = colTaps[j]
                            let a = top[t.i0] * (1 - t.lambda) + top[t.i1] * t.lambda
                            let b = bottom[t.i0] * (1 - t.lambda) + bottom[t.i1] * t.lambda
                            let value = (a * upper + b * lower) * factor
                            line[j] = accumulate ? line[j] + value : value
                            // The rest of the interior, then the last and the first column.
                            if j == 0 { break }
                            j = j + 1 < wo ? j + 1 : 0
                        }
                        continue
                    }
                    for j in 0..<wo {
                        let t = colTaps[j]
                        let a = top[t.i0] * (1 - t.lambda) + top[t.i1] * t.lambda
                        let b = bottom[t.i0] * (1 - t.lambda) + bottom[t.i1] * t.lambda
                        let value = (a * upper + b * lower) * factor
                        line[j] = accumulate ? line[j] + value : value
                    }
                }
            }
        }
    }

    /// The factor s (4, 8 or 16) when column taps are bilinear upscaling of a whole row of `inputSize` samples by s
    /// (`align_corners=False`): output `s·m + s/2 + r` (r < s) in the interior reads source `m` and `m + 1` with
    /// weight `(r + ½)/s` on the second.
    static func upscalingFactor(_ taps: [Tap], inputSize: Int) -> Int? {
        guard inputSize >= 2 else { return nil }
        for s in [4, 8, 16] where taps.count == s * inputSize {
            var matches = true
            for j in (s / 2)..<(taps.count - s / 2) {
                let m = (j - s / 2) / s
                let r = (j - s / 2) % s
                let t = taps[j]
                if t.i0 != m || t.i1 != m + 1 || t.lambda != (Float(r) + 0.5) / Float(s) {
                    matches = false
                    break
                }
            }
            if matches { return s }
        }
        return nil
    }

    /// Whether column taps are bilinear doubling of a whole row (`align_corners=False`): output `j` in
    /// `1 ..< n − 1` reads source `(j − 1) / 2` and the next with weight ¾ (odd `j`: ¼ on the next, even: ¾).
    static func isDoubling(_ taps: [Tap]) -> Bool {
        let n = taps.count
        guard n >= 4, n % 2 == 0 else { return false }
        for j in 1..<(n - 1) {
            let t = taps[j]
            let i0 = (j - 1) / 2
            if t.i0 != i0 || t.i1 != i0 + 1 || t.lambda != (j % 2 == 1 ? 0.25 : 0.75) { return false }
        }
        return true
    }

    @inline(__always)
    static func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
    }

    @inline(__always)
    static func store4(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
    }

    /// `source` `[1, C, H, W]` (C ≤ 8) rearranged pixel by pixel into `out` (`H · W · 8` floats, lanes past C zero),
    /// so that `warpInterleaved` reads one pixel of every channel with a single 8-wide load.
    package static func interleave8(_ source: Tensor, into out: UnsafeMutablePointer<Float>) {
        interleave8([source], into: out)
    }

    /// `interleave8` of the channels of `parts` (each `[1, Cᵢ, H, W]`, ΣCᵢ ≤ 8) one after another, as of their
    /// concatenation.
    package static func interleave8(_ parts: [Tensor], into out: UnsafeMutablePointer<Float>) {
        let (h, w) = (parts[0].h, parts[0].w)
        let c = parts.reduce(0) { $0 + $1.c }
        precondition(
            c <= 8 && parts.allSatisfy { $0.h == h && $0.w == w }, "interleave8 takes at most 8 channels of one size")
        let plane = h * w
        Parallel.forRanges(h, minimum: max(1, 8192 / max(1, w))) { rows in
            for row in rows {
                // Channel by channel, each a strided store of a contiguous row (lanes past C zeroed first).
                let line = out + 8 * row * w
                if c < 8 { line.update(repeating: 0, count: 8 * w) }
                var lane = 0
                for part in parts {
                    for ch in 0..<part.c {
                        let from = part.pointer + ch * plane + row * w
                        let to = line + lane
                        for col in 0..<w { to[8 * col] = from[col] }
                        lane += 1
                    }
                }
            }
        }
    }

    /// Backward warp of a full-size source made by `interleave8` (`channels` planes of `height × width`) at the grid
    /// `rows` × `cols`: output (i, j) samples the source at (cols[j] + flow[0, i, j], rows[i] + flow[1, i, j]) as
    /// `grid_sample(bilinear, border, align_corners=True)` does. `flow` `[1, 2, rows, cols]`, `out`
    /// `[1, channels, rows, cols]`. Each bilinear corner is one 8-wide load of every channel.
    package static func warpInterleaved(
        _ packed: UnsafeMutablePointer<Float>, channels c: Int, height h: Int, width w: Int,
        rows: [Int], cols: [Int], flow: Tensor, out: Tensor,
        avx2: Bool = VectorKernels.avx2
    ) {
        let (ho, wo) = (rows.count, cols.count)
        let outPlane = ho * wo
        let fx = flow.pointer
        let fy = flow.pointer + outPlane
        let dst = out.pointer
        let maxX = Float(w - 1)
        let maxY = Float(h - 1)
        let src = UnsafeRawPointer(packed)
        cols.withUnsafeBufferPointer { columns in
            Parallel.forRanges(ho, minimum: max(1, 4096 / max(1, wo))) { range in
                for i in range {
                    let y = Float(rows[i])
                    var first = 0
                    if c == 7 && avx2 {
                        // Eight pixels at a time (the same arithmetic in 8 lanes), then the loops below.
                        first = wo / 8 * 8
                        kineto_warp7_interleaved_avx2(
                            packed, Int64(w), Int64(h), y,
                            UnsafeRawPointer(columns.baseAddress!).assumingMemoryBound(to: Int64.self),
                            fx + i * wo, fy + i * wo, Int64(first), dst + i * wo, Int64(outPlane))
                    }
                    if c == 7 {
                        // Four pixels at a time: coordinates and weights in 4 lanes, results written as 4-wide
                        // rows of each channel.
                        let start = first
                        first = start + (wo - start) / 4 * 4
                        warpFour(
                            src, width: w, maxX: maxX, maxY: maxY, y: y, columns: columns.baseAddress! + start,
                            fx: fx + i * wo + start, fy: fy + i * wo + start, count: first - start,
                            dst: dst + i * wo + start, outPlane: outPlane)
                    }
                    for j in first..<wo {
                        let p = i * wo + j
                        let ix = min(max(Float(columns[j]) + fx[p], 0), maxX)
                        let iy = min(max(y + fy[p], 0), maxY)
                        let x0 = Int(ix)
                        let y0 = Int(iy)  // non-negative: truncation is floor
                        let ax = ix - Float(x0)
                        let ay = iy - Float(y0)
                        let x1 = min(x0 + 1, w - 1)
                        let y1 = min(y0 + 1, h - 1)
                        let wNW = (1 - ax) * (1 - ay)
                        let wNE = ax * (1 - ay)
                        let wSW = (1 - ax) * ay
                        let wSE = ax * ay
                        let nw = src.loadUnaligned(fromByteOffset: 32 * (y0 * w + x0), as: SIMD8<Float>.self)
                        let ne = src.loadUnaligned(fromByteOffset: 32 * (y0 * w + x1), as: SIMD8<Float>.self)
                        let sw = src.loadUnaligned(fromByteOffset: 32 * (y1 * w + x0), as: SIMD8<Float>.self)
                        let se = src.loadUnaligned(fromByteOffset: 32 * (y1 * w + x1), as: SIMD8<Float>.self)
                        let v = nw * wNW + ne * wNE + sw * wSW + se * wSE
                        // Constant lane indices: a loop over `v[ch]` makes the compiler spill the vector and
                        // redo the arithmetic lane by lane.
                        let d = dst + p
                        d[0] = v[0]
                        if c > 1 { d[outPlane] = v[1] }
                        if c > 2 { d[2 * outPlane] = v[2] }
                        if c > 3 { d[3 * outPlane] = v[3] }
                        if c > 4 { d[4 * outPlane] = v[4] }
                        if c > 5 { d[5 * outPlane] = v[5] }
                        if c > 6 { d[6 * outPlane] = v[6] }
                        if c > 7 { d[7 * outPlane] = v[7] }
                    }
                }
            }
        }
    }

    /// `warpInterleaved` of 7 channels at grid rows `rows` (in pairs) × columns `cols` (in pairs), then `halve`:
    /// `out` `[1, 7, rows/2, cols/2]` (may be a channel view). With AVX2 and `cols.count / 2` a multiple of 8, in one
    /// pass (`kineto_warp7_halve_avx2`: the warped grid never goes to memory); the same bits either way.
    package static func warpAndHalve(
        _ packed: UnsafeMutablePointer<Float>, height h: Int, width w: Int, rows: [Int], cols: [Int],
        flow: Tensor, out: Tensor, pool: TensorPool, avx2: Bool = VectorKernels.avx2
    ) {
        let (wo, outWidth) = (cols.count, cols.count / 2)
        guard avx2, outWidth % 8 == 0 else {
            let warped = pool.tensor([1, 7, rows.count, cols.count])
            warpInterleaved(
                packed, channels: 7, height: h, width: w, rows: rows, cols: cols, flow: flow, out: warped, avx2: avx2)
            halve(warped, into: out, rowOffset: 0, divideChannels: 0..<0, by: 1)
            return
        }
        let plane = rows.count * wo
        let outPlane = out.h * out.w
        let fx = flow.pointer
        let fy = flow.pointer + plane
        let dst = out.pointer
        cols.withUnsafeBufferPointer { columns in
            let columns = UnsafeRawPointer(columns.baseAddress!).assumingMemoryBound(to: Int64.self)
            Parallel.forRanges(rows.count / 2, minimum: max(1, 2048 / max(1, outWidth))) { range in
                for k in range {
                    let top = 2 * k * wo
                    let bottom = top + wo
                    kineto_warp7_halve_avx2(
                        packed, Int64(w), Int64(h), Float(rows[2 * k]), Float(rows[2 * k + 1]), columns,
                        fx + top, fy + top, fx + bottom, fy + bottom, Int64(outWidth),
                        dst + k * outWidth, Int64(outPlane))
                }
            }
        }
    }

    /// `warpInterleaved` of 7 channels for `count` (a multiple of 4) consecutive outputs of one row, 4 at a time:
    /// the same clamps, weights, products and sums per pixel.
    @inline(__always)
    static func warpFour(
        _ src: UnsafeRawPointer, width w: Int, maxX: Float, maxY: Float, y: Float,
        columns: UnsafePointer<Int>, fx: UnsafeMutablePointer<Float>, fy: UnsafeMutablePointer<Float>,
        count: Int, dst: UnsafeMutablePointer<Float>, outPlane: Int
    ) {
        let one = SIMD4<Float>(repeating: 1)
        let lastX = Int32(w - 1)
        let lastY = Int32(maxY)
        let rowY = SIMD4<Float>(repeating: y)
        var j = 0
        while j < count {
            let cols = SIMD4<Float>(
                Float(columns[j]), Float(columns[j + 1]), Float(columns[j + 2]), Float(columns[j + 3]))
            // Clamped lane by lane as the scalar path (the generic pointwise min/max are not inlined).
            let sx = cols + load4(fx + j)
            let sy = rowY + load4(fy + j)
            let ix = SIMD4<Float>(
                min(max(sx[0], 0), maxX), min(max(sx[1], 0), maxX),
                min(max(sx[2], 0), maxX), min(max(sx[3], 0), maxX))
            let iy = SIMD4<Float>(
                min(max(sy[0], 0), maxY), min(max(sy[1], 0), maxY),
                min(max(sy[2], 0), maxY), min(max(sy[3], 0), maxY))
            // Lane by lane: the generic SIMD conversions are not specialised and cost more than the whole sample.
            let x0 = SIMD4<Int32>(Int32(ix[0]), Int32(ix[1]), Int32(ix[2]), Int32(ix[3]))
            let y0 = SIMD4<Int32>(Int32(iy[0]), Int32(iy[1]), Int32(iy[2]), Int32(iy[3]))
            let ax = ix - SIMD4<Float>(Float(x0[0]), Float(x0[1]), Float(x0[2]), Float(x0[3]))
            let ay = iy - SIMD4<Float>(Float(y0[0]), Float(y0[1]), Float(y0[2]), Float(y0[3]))
            let x1 = SIMD4<Int32>(
                min(x0[0] + 1, lastX), min(x0[1] + 1, lastX), min(x0[2] + 1, lastX), min(x0[3] + 1, lastX))
            let y1 = SIMD4<Int32>(
                min(y0[0] + 1, lastY), min(y0[1] + 1, lastY), min(y0[2] + 1, lastY), min(y0[3] + 1, lastY))
            let wNW = (one - ax) * (one - ay)
            let wNE = ax * (one - ay)
            let wSW = (one - ax) * ay
            let wSE = ax * ay
            let top0 = y0 &* Int32(w)
            let top1 = y1 &* Int32(w)
            @inline(__always) func pixel(_ l: Int) -> SIMD8<Float> {
                let nw = src.loadUnaligned(fromByteOffset: 32 * Int(top0[l] &+ x0[l]), as: SIMD8<Float>.self)
                let ne = src.loadUnaligned(fromByteOffset: 32 * Int(top0[l] &+ x1[l]), as: SIMD8<Float>.self)
                let sw = src.loadUnaligned(fromByteOffset: 32 * Int(top1[l] &+ x0[l]), as: SIMD8<Float>.self)
                let se = src.loadUnaligned(fromByteOffset: 32 * Int(top1[l] &+ x1[l]), as: SIMD8<Float>.self)
                return nw * wNW[l] + ne * wNE[l] + sw * wSW[l] + se * wSE[l]
            }
            let v0 = pixel(0)
            let v1 = pixel(1)
            let v2 = pixel(2)
            let v3 = pixel(3)
            let d = dst + j
            store4(SIMD4(v0[0], v1[0], v2[0], v3[0]), d)
            store4(SIMD4(v0[1], v1[1], v2[1], v3[1]), d + outPlane)
            store4(SIMD4(v0[2], v1[2], v2[2], v3[2]), d + 2 * outPlane)
            store4(SIMD4(v0[3], v1[3], v2[3], v3[3]), d + 3 * outPlane)
            store4(SIMD4(v0[4], v1[4], v2[4], v3[4]), d + 4 * outPlane)
            store4(SIMD4(v0[5], v1[5], v2[5], v3[5]), d + 5 * outPlane)
            store4(SIMD4(v0[6], v1[6], v2[6], v3[6]), d + 6 * outPlane)
            j += 4
        }
    }

    /// Bilinear shrinking by 2 (`align_corners=False`: the mean of each 2×2 block, as PyTorch computes it with
    /// weights ½) of `x` `[1, C, 2Q, 2W]` into rows `rowOffset ..< rowOffset + Q` of `out` `[1, C, H, W]`; channels
    /// `divideChannels` are then divided by `divisor` (the reference's flow rescaling).
    static func halve(_ x: Tensor, into out: Tensor, rowOffset: Int, divideChannels: Range<Int>, by divisor: Float) {
        let (c, rows, w) = (x.c, x.h / 2, out.w)
        let inPlane = x.h * x.w
        let outPlane = out.h * out.w
        let inWidth = x.w
        let src = x.pointer
        let dst = out.pointer
        Parallel.forEach(c) { channel in
            let divide = divideChannels.contains(channel)
            for q in 0..<rows {
                let top = src + channel * inPlane + 2 * q * inWidth
                let bottom = top + inWidth
                let line = dst + channel * outPlane + (rowOffset + q) * w
                for j in 0..<w {
                    let upper = top[2 * j] * 0.5 + top[2 * j + 1] * 0.5
                    let lower = bottom[2 * j] * 0.5 + bottom[2 * j + 1] * 0.5
                    let value = upper * 0.5 + lower * 0.5
                    line[j] = divide ? value / divisor : value
                }
            }
        }
    }
}
