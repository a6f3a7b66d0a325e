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
        let channelsPerDeformGroup = cin / deformGroups
        let columns = ho * wo, m = cout / groups, kAll = cin * kk, kGroup = cinG * kk
        let parts = Parallel.parts(columns, minimum: max(16, Gemm.minimumColumns(m: cout, k: kGroup) / 2))
        let step = ((columns + parts - 1) / parts + 15) / 16 * 16
        let tile = min(step, tileColumns(k: kAll))
        let scratch = Tensor.empty([parts * (kAll * tile + 8 * tile)], like: x)

        for item in 0..<n {
            let input = x.pointer(item: item), offsets = offset.pointer(item: item)
            let masks = mask.map { $0.pointer(item: item) }
            let result = y.pointer(item: item)
            Parallel.forEach(parts) { part in
                let begin = part * step, end = min(columns, begin + step)
                let panel = scratch.pointer + part * (kAll * tile + 8 * tile)
                let coefficients = panel + kAll * tile
                var p0 = begin
                while p0 < end {
                    let count = min(tile, end - p0)
                    for d in 0..<deformGroups {
                        for k in 0..<kk {
                            let ki = k / kw, kj = k % kw
                            let dy = offsets + ((d * kk + k) * 2) * columns, dx = dy + columns
                            let mk = masks.map { $0 + (d * kk + k) * columns }
                            // Corner indices (as Float bit patterns would lose range: store as Float of Int) and weights.
                            for q in 0..<count {
                                let p = p0 + q
                                let oh = p / wo, ow = p - oh * wo
                                let sy = Float(oh * g.strideH - g.padH + ki * g.dilationH) + dy[p]
                                let sx = Float(ow * g.strideW - g.padW + kj * g.dilationW) + dx[p]
                                var w00: Float = 0, w01: Float = 0, w10: Float = 0, w11: Float = 0
                                var base = 0
                                if sy > -1 && sy < Float(h) && sx > -1 && sx < Float(w) {
                                    let y0f = Ops.floor(sy), x0f = Ops.floor(sx)
                                    let y0 = Int(y0f), x0 = Int(x0f)
                                    let ly = sy - y0f, lx = sx - x0f
                                    let scale = mk?[p] ?? 1
                                    let top = y0 >= 0, bottom = y0 + 1 < h, left = x0 >= 0, right = x0 + 1 < w
                                    w00 = top && left ? (1 - ly) * (1 - lx) * scale : 0
                                    w01 = top && right ? (1 - ly) * lx * scale : 0
                                    w10 = bottom && left ? ly * (1 - lx) * scale : 0
                                    w11 = bottom && right ? ly * lx * scale : 0
                                    // Shift the 2×2 window inside the image; zero weights cover the moved corners.
                                    let cy = min(max(y0, 0), h - 2 < 0 ? 0 : h - 2)
                                    let cx = min(max(x0, 0), w - 2 < 0 ? 0 : w - 2)
                                    if cy != y0 { if y0 < 0 { (w00, w10, w01, w11) = (w10, 0, w11, 0) } else { (w10, w00, w11, w01) = (w00, 0, w01, 0) } }
                                    if cx != x0 { if x0 < 0 { (w00, w01, w10, w11) = (w01, 0, w11, 0) } else { (w01, w00, w11, w10) = (w00, 0, w10, 0) } }
                                    base = cy * w + cx
                                }
                                let c = coefficients + q * 8
                                c[0] = w00; c[1] = w01; c[2] = w10; c[3] = w11
                                c[4] = Float(bitPattern: UInt32(truncatingIfNeeded: base))
                            }
                            let dy1 = h > 1 ? w : 0, dx1 = w > 1 ? 1 : 0
                            for ci in 0..<channelsPerDeformGroup {
                                let channel = d * channelsPerDeformGroup + ci
                                let plane = input + channel * h * w
                                let row = panel + (channel * kk + k) * count
                                for q in 0..<count {
                                    let c = coefficients + q * 8
                                    let base = Int(c[4].bitPattern)
                                    row[q] = c[0] * plane[base] + c[1] * plane[base + dx1]
                                        + c[2] * plane[base + dy1] + c[3] * plane[base + dy1 + dx1]
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
}
