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
    /// tile + `cblas_sgemm`, tiles split over the cores.
    public static func deformConv2d(
        _ x: Tensor, offset: Tensor, mask: Tensor? = nil, weight: Tensor,
        bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
        groups: Int = 1, activation: Activation = .none, out: Tensor? = nil
    ) -> Tensor {
        let g = Window2D(stride: stride, padding: padding, dilation: dilation)
        let (n, cin, h, w) = (x.n, x.c, x.h, x.w)
        let (cout, cinG, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let kk = kh * kw
        Engine.check(
            cin == cinG * groups && cout % groups == 0,
            "deformConv2d: input \(x.shape), weight \(weight.shape), groups \(groups) do not fit")
        let ho = Window2D.convOutput(h, kernel: kh, stride: g.strideH, pad: g.padH, dilation: g.dilationH)
        let wo = Window2D.convOutput(w, kernel: kw, stride: g.strideW, pad: g.padW, dilation: g.dilationW)
        Engine.check(
            offset.rank == 4 && offset.c % (2 * kk) == 0 && offset.h == ho && offset.w == wo,
            "deformConv2d: offset \(offset.shape) must be [N, 2·D·\(kk), \(ho), \(wo)]")
        let deformGroups = offset.c / (2 * kk)
        Engine.check(cin % deformGroups == 0, "deformConv2d: \(cin) channels not divisible by \(deformGroups) groups")
        if let mask {
            Engine.check(
                mask.c == deformGroups * kk && mask.h == ho && mask.w == wo,
                "deformConv2d: mask \(mask.shape) must be [N, \(deformGroups * kk), \(ho), \(wo)]")
        }
        let y = output([n, cout, ho, wo], like: x, out: out, "deformConv2d")
        let weightC = weight.isContiguous ? weight : weight.contiguousCopy()
        let channelsPerDeformGroup = cin / deformGroups
        let columns = ho * wo
        let m = cout / groups
        let kAll = cin * kk
        let kGroup = cinG * kk
        let parts = Parallel.parts(columns, minimum: max(16, Gemm.minimumColumns(m: cout, k: kGroup) / 2))
        let step = ((columns + parts - 1) / parts + 15) / 16 * 16
        let tile = min(step, tileColumns(k: kAll))
        let partSize = kAll * tile + 5 * tile
        let scratch = Tensor.empty([parts * partSize], like: x)
        // The input with a one-pixel zero border: every sample inside (-1, H) × (-1, W) then reads its four corners
        // without bounds checks, and corners outside the image read zeros, as torchvision's zero corners.
        let hp = h + 2
        let wp = w + 2
        let padded = Tensor.empty([1, cin, hp, wp], like: x)
        let fh = Float(h)
        let fw = Float(w)

        for item in 0..<n {
            _ = pad(x.item(item), left: 1, right: 1, top: 1, bottom: 1, mode: .constant(0), out: padded)
            let offsets = offset.pointer(item: item)
            let masks = mask.map { $0.pointer(item: item) }
            let result = y.pointer(item: item)
            Parallel.forEach(parts) { part in
                let begin = part * step
                let end = min(columns, begin + step)
                let panel = scratch.pointer + part * partSize
                // Per column of the tile (structure of arrays): four corner weights (mask included), corner index.
                let w00 = panel + kAll * tile
                let w01 = w00 + tile
                let w10 = w01 + tile
                let w11 = w10 + tile
                let corner = UnsafeMutableRawPointer(w11 + tile).bindMemory(to: Int32.self, capacity: tile)
                var p0 = begin
                while p0 < end {
                    let count = min(tile, end - p0)
                    for d in 0..<deformGroups {
                        for k in 0..<kk {
                            let ki = k / kw
                            let kj = k % kw
                            let dy = offsets + ((d * kk + k) * 2) * columns + p0
                            let dx = dy + columns
                            let mk = masks.map { $0 + (d * kk + k) * columns + p0 }
                            var oh = p0 / wo
                            var ow = p0 - oh * wo
                            let rowOffset = ki * g.dilationH - g.padH
                            let colOffset = kj * g.dilationW - g.padW
                            for q in 0..<count {
                                let sy = Float(oh * g.strideH + rowOffset) + dy[q]
                                let sx = Float(ow * g.strideW + colOffset) + dx[q]
                                if sy > -1 && sy < fh && sx > -1 && sx < fw {
                                    // In padded coordinates the sample is positive, so truncation is floor.
                                    let py = sy + 1
                                    let px = sx + 1
                                    let iy = Int(py)
                                    let ix = Int(px)
                                    let ly = py - Float(iy)
                                    let lx = px - Float(ix)
                                    let hy = 1 - ly
                                    let hx = 1 - lx
                                    let scale = mk?[q] ?? 1
                                    w00[q] = hy * hx * scale
                                    w01[q] = hy * lx * scale
                                    w10[q] = ly * hx * scale
                                    w11[q] = ly * lx * scale
                                    corner[q] = Int32(iy * wp + ix)
                                } else {
                                    w00[q] = 0
                                    w01[q] = 0
                                    w10[q] = 0
                                    w11[q] = 0
                                    corner[q] = 0
                                }
                                ow += 1
                                if ow == wo {
                                    ow = 0
                                    oh += 1
                                }
                            }
                            // Two channels per pass: the coefficients are loaded once for both.
                            var ci = 0
                            while ci < channelsPerDeformGroup {
                                let channel = d * channelsPerDeformGroup + ci
                                let plane = padded.pointer + channel * hp * wp
                                let row = panel + (channel * kk + k) * count
                                if ci + 1 < channelsPerDeformGroup {
                                    let plane2 = plane + hp * wp
                                    let row2 = row + kk * count
                                    for q in 0..<count {
                                        let c = Int(corner[q])
                                        let a = w00[q]
                                        let b = w01[q]
                                        let e = w10[q]
                                        let f = w11[q]
                                        let t1 = plane + c
                                        let b1 = t1 + wp
                                        let t2 = plane2 + c
                                        let b2 = t2 + wp
                                        row[q] = a * t1[0] + b * t1[1] + e * b1[0] + f * b1[1]
                                        row2[q] = a * t2[0] + b * t2[1] + e * b2[0] + f * b2[1]
                                    }
                                    ci += 2
                                } else {
                                    for q in 0..<count {
                                        let top = plane + Int(corner[q])
                                        let bottom = top + wp
                                        row[q] =
                                            w00[q] * top[0] + w01[q] * top[1] + w10[q] * bottom[0] + w11[q] * bottom[1]
                                    }
                                    ci += 1
                                }
                            }
                        }
                    }
                    for group in 0..<groups {
                        Gemm.sgemm(
                            m: m, n: count, k: kGroup, a: weightC.pointer + group * m * kGroup, lda: kGroup,
                            b: panel + group * kGroup * count, ldb: count,
                            c: result + group * m * columns + p0, ldc: columns)
                        finish(
                            result + group * m * columns + p0, rows: m, count: count, stride: columns, bias: bias,
                            channelBase: group * m, activation: activation)
                    }
                    p0 += count
                }
            }
        }
        return y
    }
}
