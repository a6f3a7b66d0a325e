extension Ops {
    /// `torch.nn.functional.conv_transpose2d` (+ optional fused activation): `x` `[N, Cin, H, W]`, `weight`
    /// `[Cin, Cout/groups, kh, kw]`, `bias` `[Cout]`. Output size `(H-1)·stride − 2·padding + dilation·(k−1) +
    /// outputPadding + 1`. One `cblas_sgemm` (weightᵀ · input, columns split over the cores) per item and group,
    /// then col2im scatter-adds the columns into the output, one output channel per task.
    public static func convTranspose2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1,
        padding: Int = 0, outputPadding: Int = 0, dilation: Int = 1,
        groups: Int = 1, activation: Activation = .none,
        out: Tensor? = nil
    ) -> Tensor {
        Engine.check(
            x.rank == 4 && weight.rank == 4,
            "convTranspose2d: input \(x.shape) and weight \(weight.shape) must be 4-D")
        let (n, cin, h, w) = (x.n, x.c, x.h, x.w)
        let (cinW, coutG, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        Engine.check(
            cin == cinW && cin % groups == 0,
            "convTranspose2d: input \(x.shape), weight \(weight.shape), groups \(groups) do not fit")
        let cinG = cin / groups
        let cout = coutG * groups
        let ho = (h - 1) * stride - 2 * padding + dilation * (kh - 1) + outputPadding + 1
        let wo = (w - 1) * stride - 2 * padding + dilation * (kw - 1) + outputPadding + 1
        let y = output([n, cout, ho, wo], like: x, out: out, "convTranspose2d")
        let weightC = weight.isContiguous ? weight : weight.contiguousCopy()
        let m = coutG * kh * kw
        let columns = h * w
        let cols = Tensor.empty([m * columns], like: x)
        let b = bias?.pointer

        for item in 0..<n {
            for group in 0..<groups {
                Gemm.parallelSgemm(
                    m: m, n: columns, k: cinG, a: weightC.pointer + group * cinG * m, lda: m,
                    transposeA: true, b: x.pointer(item: item) + group * cinG * columns, ldb: columns,
                    c: cols.pointer, ldc: columns)
                let result = y.pointer(item: item) + group * coutG * ho * wo
                Parallel.forEach(coutG) { co in
                    let plane = result + co * ho * wo
                    let channel = group * coutG + co
                    plane.update(repeating: b?[channel] ?? 0, count: ho * wo)
                    for ki in 0..<kh {
                        for kj in 0..<kw {
                            let src = cols.pointer + ((co * kh + ki) * kw + kj) * columns
                            for ih in 0..<h {
                                let oh = ih * stride - padding + ki * dilation
                                if oh < 0 || oh >= ho { continue }
                                let dst = plane + oh * wo
                                let row = src + ih * w
                                // ow = iw·stride − padding + kj·dilation must lie in 0..<wo.
                                let shift = kj * dilation - padding
                                let iwLow = shift >= 0 ? 0 : (-shift + stride - 1) / stride
                                let iwHigh = min(w, (wo - 1 - shift) / stride + 1)
                                if iwLow >= iwHigh { continue }
                                var ow = iwLow * stride + shift
                                for iw in iwLow..<iwHigh {
                                    dst[ow] += row[iw]
                                    ow += stride
                                }
                            }
                        }
                    }
                    activation.apply(plane, count: ho * wo, bias: 0, channel: channel)
                }
            }
        }
        return y
    }
}
