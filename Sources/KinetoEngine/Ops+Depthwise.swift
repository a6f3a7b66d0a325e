extension Ops {
    /// Depthwise convolution (`groups == Cin == Cout`, as in MobileNet-style networks) computed directly: one GEMM
    /// per channel would be a 1-row matrix product, far from BLAS's sweet spot. Output rows accumulate one kernel tap
    /// at a time over contiguous runs, channels split over the cores.
    static func depthwiseConv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor?, window g: Window2D,
        activation: Activation, y: Tensor
    ) {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        let (kh, kw) = (weight.shape[2], weight.shape[3])
        let (ho, wo) = (y.h, y.w)
        let b = bias?.pointer
        Parallel.forEach(n * c) { index in
            let item = index / c
            let channel = index % c
            let src = x.pointer(item: item) + channel * h * w
            let dst = y.pointer(item: item) + channel * ho * wo
            let k = weight.pointer + channel * kh * kw
            for oh in 0..<ho {
                let line = dst + oh * wo
                line.update(repeating: 0, count: wo)
                for ki in 0..<kh {
                    let ih = oh * g.strideH - g.padH + ki * g.dilationH
                    if ih < 0 || ih >= h { continue }
                    let row = src + ih * w
                    for kj in 0..<kw {
                        let tap = k[ki * kw + kj]
                        let shift = kj * g.dilationW - g.padW
                        // Output columns whose input column ow·stride + shift lies inside the row.
                        let low = shift >= 0 ? 0 : (-shift + g.strideW - 1) / g.strideW
                        let high = min(wo, (w - 1 - shift) / g.strideW + 1)
                        if low >= high { continue }
                        if g.strideW == 1 {
                            let r = row + shift
                            for ow in low..<high { line[ow] += tap * r[ow] }
                        } else {
                            for ow in low..<high { line[ow] += tap * row[ow * g.strideW + shift] }
                        }
                    }
                }
            }
            activation.apply(dst, count: ho * wo, bias: b?[channel] ?? 0, channel: channel)
        }
    }
}
