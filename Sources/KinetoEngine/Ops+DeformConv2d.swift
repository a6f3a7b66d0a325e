extension Ops {
    /// Deformable convolution with torchvision's semantics (`torchvision.ops.deform_conv2d`; DCN v1 without `mask`,
    /// v2 "modulated" with it; mmdet's DCN layers are the same computation).
    ///
    /// - `x` `[N, Cin, H, W]`; `weight` `[Cout, Cin/groups, kh, kw]`; `bias` `[Cout]`.
    /// - `offset` `[N, 2·D·kh·kw, Ho, Wo]`: for deformable group `d` and kernel point `k` (row-major over kh×kw),
    ///   channel `(d·kh·kw + k)·2` is the y (row) offset and the next one the x offset. `D` (deformable groups) is
    ///   `offset.c / (2·kh·kw)`; input channels are split into `D` equal consecutive groups.
    /// - `mask` `[N, D·kh·kw, Ho, Wo]` multiplies each sample (v2).
    /// Samples are bilinear with zeros outside the image. Implemented as a deformable im2col panel per column
    /// tile + `cblas_sgemm`, tiles split over the cores (channels-last sampling for `groups == 1`, see
    /// `deformConv2dChannelsLast`).
    public static func deformConv2d(_ x: Tensor, offset: Tensor, mask: Tensor? = nil, weight: Tensor,
                                    bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                                    groups: Int = 1, activation: Activation = .none, out: Tensor? = nil) -> Tensor {
        let g = Window2D(stride: stride, padding: padding, dilation: dilation)
        let (n, cin, h, w) = (x.n, x.c, x.h, x.w)
        let (cout, cinG, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let kk = kh * kw
        Engine.check(cin == cinG * groups && cout % groups == 0,
                     "deformConv2d: input \(x.shape), weight \(weight.shape), groups \(groups) do not fit")
        let ho = Window2D.convOutput(h, kernel: kh, stride: g.strideH, pad: g.padH, dilation: g.dilationH)
        let wo = Window2D.convOutput(w, kernel: kw, stride: g.strideW, pad: g.padW, dilation: g.dilationW)
        Engine.check(offset.rank == 4 && offset.c % (2 * kk) == 0 && offset.h == ho && offset.w == wo,
                     "deformConv2d: offset \(offset.shape) must be [N, 2·D·\(kk), \(ho), \(wo)]")
        let deformGroups = offset.c / (2 * kk)
        Engine.check(cin % deformGroups == 0, "deformConv2d: \(cin) channels not divisible by \(deformGroups) groups")
        if let mask {
            Engine.check(mask.c == deformGroups * kk && mask.h == ho && mask.w == wo,
                         "deformConv2d: mask \(mask.shape) must be [N, \(deformGroups * kk), \(ho), \(wo)]")
        }
        let y = output([n, cout, ho, wo], like: x, out: out, "deformConv2d")
        let weightC = weight.isContiguous ? weight : weight.contiguousCopy()
        if groups == 1 {
            deformConv2dChannelsLast(x, offset: offset, mask: mask, weight: weightC, bias: bias, window: g,
                                     deformGroups: deformGroups, activation: activation, y: y)
            return y
        }
        let channelsPerDeformGroup = cin / deformGroups
        let columns = ho * wo, m = cout / groups, kAll = cin * kk, kGroup = cinG * kk
        let parts = Parallel.parts(columns, minimum: max(16, Gemm.minimumColumns(m: cout, k: kGroup) / 2))
        let step = ((columns + parts - 1) / parts + 15) / 16 * 16
        let tile = min(step, tileColumns(k: kAll))
        let partSize = kAll * tile + 5 * tile
        let scratch = Tensor.empty([parts * partSize], like: x)
        // The input with a one-pixel zero border: every sample inside (-1, H) × (-1, W) then reads its four corners
        // without bounds checks, and corners outside the image read zeros, as torchvision's zero corners.
        let hp = h + 2, wp = w + 2
        let padded = Tensor.empty([1, cin, hp, wp], like: x)
        let fh = Float(h), fw = Float(w)

        for item in 0..<n {
            _ = pad(x.item(item), left: 1, right: 1, top: 1, bottom: 1, mode: .constant(0), out: padded)
            let offsets = offset.pointer(item: item)
            let masks = mask.map { $0.pointer(item: item) }
            let result = y.pointer(item: item)
            Parallel.forEach(parts) { part in
                let begin = part * step, end = min(columns, begin + step)
                let panel = scratch.pointer + part * partSize
                // Per column of the tile (structure of arrays): four corner weights (mask included), corner index.
                let w00 = panel + kAll * tile, w01 = w00 + tile, w10 = w01 + tile, w11 = w10 + tile
                let corner = UnsafeMutableRawPointer(w11 + tile).bindMemory(to: Int32.self, capacity: tile)
                var p0 = begin
                while p0 < end {
                    let count = min(tile, end - p0)
                    for d in 0..<deformGroups {
                        for k in 0..<kk {
                            let ki = k / kw, kj = k % kw
                            let dy = offsets + ((d * kk + k) * 2) * columns + p0, dx = dy + columns
                            let mk = masks.map { $0 + (d * kk + k) * columns + p0 }
                            var oh = p0 / wo, ow = p0 - oh * wo
                            let rowOffset = ki * g.dilationH - g.padH, colOffset = kj * g.dilationW - g.padW
                            for q in 0..<count {
                                let sy = Float(oh * g.strideH + rowOffset) + dy[q]
                                let sx = Float(ow * g.strideW + colOffset) + dx[q]
                                if sy > -1 && sy < fh && sx > -1 && sx < fw {
                                    // In padded coordinates the sample is positive, so truncation is floor.
                                    let py = sy + 1, px = sx + 1
                                    let iy = Int(py), ix = Int(px)
                                    let ly = py - Float(iy), lx = px - Float(ix), hy = 1 - ly, hx = 1 - lx
                                    let scale = mk?[q] ?? 1
                                    w00[q] = hy * hx * scale; w01[q] = hy * lx * scale
                                    w10[q] = ly * hx * scale; w11[q] = ly * lx * scale
                                    corner[q] = Int32(iy * wp + ix)
                                } else {
                                    w00[q] = 0; w01[q] = 0; w10[q] = 0; w11[q] = 0; corner[q] = 0
                                }
                                ow += 1
                                if ow == wo { ow = 0; oh += 1 }
                            }
                            // Two channels per pass: the coefficients are loaded once for both.
                            var ci = 0
                            while ci < channelsPerDeformGroup {
                                let channel = d * channelsPerDeformGroup + ci
                                let plane = padded.pointer + channel * hp * wp
                                let row = panel + (channel * kk + k) * count
                                if ci + 1 < channelsPerDeformGroup {
                                    let plane2 = plane + hp * wp, row2 = row + kk * count
                                    for q in 0..<count {
                                        let c = Int(corner[q])
                                        let a = w00[q], b = w01[q], e = w10[q], f = w11[q]
                                        let t1 = plane + c, b1 = t1 + wp, t2 = plane2 + c, b2 = t2 + wp
                                        row[q] = a * t1[0] + b * t1[1] + e * b1[0] + f * b1[1]
                                        row2[q] = a * t2[0] + b * t2[1] + e * b2[0] + f * b2[1]
                                    }
                                    ci += 2
                                } else {
                                    for q in 0..<count {
                                        let top = plane + Int(corner[q]), bottom = top + wp
                                        row[q] = w00[q] * top[0] + w01[q] * top[1] + w10[q] * bottom[0] + w11[q] * bottom[1]
                                    }
                                    ci += 1
                                }
                            }
                        }
                    }
                    for group in 0..<groups {
                        Gemm.sgemm(m: m, n: count, k: kGroup, a: weightC.pointer + group * m * kGroup, lda: kGroup,
                                   b: panel + group * kGroup * count, ldb: count,
                                   c: result + group * m * columns + p0, ldc: columns)
                        finish(result + group * m * columns + p0, rows: m, count: count, stride: columns, bias: bias,
                               channelBase: group * m, activation: activation)
                    }
                    p0 += count
                }
            }
        }
        return y
    }

    /// `deformConv2d` with one convolution group, sampling-bound in the planar layout, so laid out for the samples:
    /// the input is copied channels-last with a one-pixel zero border, so the `C/D` channels of a deformable group
    /// at one corner are contiguous, and each column of the panel (one output pixel) holds its `K = Cin·kh·kw`
    /// values ordered (group, kernel point, channel). Each sample's four corner offsets and weights are then
    /// computed once for all channels of its group and the channels are blended four at a time with contiguous
    /// loads and stores. The GEMM multiplies the weights, permuted once per call to the same K order, by the
    /// panel transposed (`[columns, K]`, as written).
    static func deformConv2dChannelsLast(_ x: Tensor, offset: Tensor, mask: Tensor?, weight: Tensor, bias: Tensor?,
                                         window g: Window2D, deformGroups: Int, activation: Activation, y: Tensor) {
        let (n, cin, h, w) = (x.n, x.c, x.h, x.w)
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let (ho, wo) = (y.h, y.w)
        let kk = kh * kw, kAll = cin * kk, columns = ho * wo
        let perGroup = cin / deformGroups
        // Weights with K in (group, kernel point, channel) order.
        let permuted = Tensor.empty([cout * kAll], like: x)
        for o in 0..<cout {
            let src = weight.pointer + o * kAll, dst = permuted.pointer + o * kAll
            for d in 0..<deformGroups {
                for k in 0..<kk {
                    let row = dst + (d * kk + k) * perGroup
                    for ci in 0..<perGroup { row[ci] = src[(d * perGroup + ci) * kk + k] }
                }
            }
        }
        let parts = Parallel.parts(columns, minimum: max(16, Gemm.minimumColumns(m: cout, k: kAll) / 2))
        let step = ((columns + parts - 1) / parts + 15) / 16 * 16
        let tile = min(step, tileColumns(k: kAll))
        let scratch = Tensor.empty([parts * kAll * tile], like: x)
        let hp = h + 2, wp = w + 2
        let padded = Tensor.empty([hp * wp * cin], like: x)
        let fh = Float(h), fw = Float(w)
        let vectorized = perGroup % 4 == 0
        let rowStride = wp * cin

        for item in 0..<n {
            // Channels-last copy with a zero border: samples inside (-1, H) × (-1, W) read four corners without
            // bounds checks, corners outside the image read zeros (torchvision's zero corners).
            let source = x.pointer(item: item), hwc = padded.pointer
            hwc.update(repeating: 0, count: rowStride)
            (hwc + (hp - 1) * rowStride).update(repeating: 0, count: rowStride)
            Parallel.forRanges(h, minimum: max(1, 16384 / max(1, w * cin))) { rows in
                for r in rows {
                    let line = hwc + (r + 1) * rowStride
                    line.update(repeating: 0, count: cin)
                    (line + (w + 1) * cin).update(repeating: 0, count: cin)
                    for c in 0..<cin {
                        let src = source + (c * h + r) * w
                        var dst = line + cin + c
                        for col in 0..<w { dst.pointee = src[col]; dst += cin }
                    }
                }
            }
            let offsets = offset.pointer(item: item)
            let masks = mask.map { $0.pointer(item: item) }
            let result = y.pointer(item: item)
            Parallel.forEach(parts) { part in
                let begin = part * step, end = min(columns, begin + step)
                let panel = scratch.pointer + part * kAll * tile
                var p0 = begin
                while p0 < end {
                    let count = min(tile, end - p0)
                    // Chunks of 16 pixels: each offset plane is read a cache line at a time and the chunk's panel
                    // rows (16 × K) stay in L1/L2 while all groups and kernel points fill them.
                    var c0 = 0
                    while c0 < count {
                        let chunk = min(16, count - c0)
                        for d in 0..<deformGroups {
                            for k in 0..<kk {
                                let ki = k / kw, kj = k % kw
                                let plane = (d * kk + k) * 2 * columns + p0 + c0
                                let dy = offsets + plane, dx = dy + columns
                                let mk = masks.map { $0 + (d * kk + k) * columns + p0 + c0 }
                                let rowOffset = ki * g.dilationH - g.padH, colOffset = kj * g.dilationW - g.padW
                                let channelBase = d * perGroup
                                var dst = panel + c0 * kAll + (d * kk + k) * perGroup
                                var oh = (p0 + c0) / wo, ow = (p0 + c0) - oh * wo
                                for q in 0..<chunk {
                                    let sy = Float(oh * g.strideH + rowOffset) + dy[q]
                                    let sx = Float(ow * g.strideW + colOffset) + dx[q]
                                    if sy > -1 && sy < fh && sx > -1 && sx < fw {
                                        // In padded coordinates the sample is positive, so truncation is floor.
                                        let py = sy + 1, px = sx + 1
                                        let iy = Int(py), ix = Int(px)
                                        let ly = py - Float(iy), lx = px - Float(ix), hy = 1 - ly, hx = 1 - lx
                                        let scale = mk?[q] ?? 1
                                        let a = hy * hx * scale, b = hy * lx * scale
                                        let e = ly * hx * scale, f = ly * lx * scale
                                        let top = hwc + (iy * wp + ix) * cin + channelBase, bottom = top + rowStride
                                        if vectorized {
                                            let va = SIMD4<Float>(repeating: a), vb = SIMD4<Float>(repeating: b)
                                            let ve = SIMD4<Float>(repeating: e), vf = SIMD4<Float>(repeating: f)
                                            var ci = 0
                                            while ci < perGroup {
                                                let t0 = UnsafeRawPointer(top + ci).loadUnaligned(as: SIMD4<Float>.self)
                                                let t1 = UnsafeRawPointer(top + cin + ci).loadUnaligned(as: SIMD4<Float>.self)
                                                let b0 = UnsafeRawPointer(bottom + ci).loadUnaligned(as: SIMD4<Float>.self)
                                                let b1 = UnsafeRawPointer(bottom + cin + ci).loadUnaligned(as: SIMD4<Float>.self)
                                                let value = va * t0 + vb * t1 + ve * b0 + vf * b1
                                                UnsafeMutableRawPointer(dst + ci).storeBytes(of: value, as: SIMD4<Float>.self)
                                                ci += 4
                                            }
                                        } else {
                                            for ci in 0..<perGroup {
                                                dst[ci] = a * top[ci] + b * top[cin + ci] + e * bottom[ci] + f * bottom[cin + ci]
                                            }
                                        }
                                    } else {
                                        dst.update(repeating: 0, count: perGroup)
                                    }
                                    dst += kAll
                                    ow += 1
                                    if ow == wo { ow = 0; oh += 1 }
                                }
                            }
                        }
                        c0 += chunk
                    }
                    Gemm.sgemm(m: cout, n: count, k: kAll, a: permuted.pointer, lda: kAll, b: panel, ldb: kAll,
                               transposeB: true, c: result + p0, ldc: columns)
                    finish(result + p0, rows: cout, count: count, stride: columns, bias: bias, channelBase: 0,
                           activation: activation)
                    p0 += count
                }
            }
        }
    }
}
