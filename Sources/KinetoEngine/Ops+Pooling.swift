extension Ops {
    /// `torch.nn.functional.max_pool2d` (padding counts as −∞; `ceilMode` rounds the output size up, dropping a last
    /// window that would start in the right/bottom padding, as PyTorch does).
    public static func maxPool2d(
        _ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0,
        ceilMode: Bool = false, out: Tensor? = nil
    ) -> Tensor {
        pool(
            x, kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, max: true,
            countIncludePad: true, out: out)
    }

    /// `torch.nn.functional.avg_pool2d` (`countIncludePad` defaults to PyTorch's true).
    public static func avgPool2d(
        _ x: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0,
        ceilMode: Bool = false, countIncludePad: Bool = true, out: Tensor? = nil
    ) -> Tensor {
        pool(
            x, kernel: kernel, stride: stride ?? kernel, padding: padding, ceilMode: ceilMode, max: false,
            countIncludePad: countIncludePad, out: out)
    }

    /// PyTorch's pooling_output_shape.
    static func poolOutput(_ size: Int, kernel: Int, stride: Int, padding: Int, ceilMode: Bool) -> Int {
        let span = size + 2 * padding - kernel
        var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (out - 1) * stride >= size + padding { out -= 1 }
        return out
    }

    static func pool(
        _ x: Tensor, kernel k: Int, stride s: Int, padding p: Int, ceilMode: Bool, max isMax: Bool,
        countIncludePad: Bool, out: Tensor?
    ) -> Tensor {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        let ho = poolOutput(h, kernel: k, stride: s, padding: p, ceilMode: ceilMode)
        let wo = poolOutput(w, kernel: k, stride: s, padding: p, ceilMode: ceilMode)
        let y = output([n, c, ho, wo], like: x, out: out, isMax ? "maxPool2d" : "avgPool2d")
        Parallel.forEach(n * c) { index in
            let item = index / c
            let ch = index % c
            let src = x.pointer(item: item) + ch * h * w
            let dst = y.pointer(item: item) + ch * ho * wo
            for i in 0..<ho {
                let hStart = i * s - p
                let hEndPadded = min(hStart + k, h + p)
                let h0 = max(hStart, 0)
                let h1 = min(hStart + k, h)
                for j in 0..<wo {
                    let wStart = j * s - p
                    let wEndPadded = min(wStart + k, w + p)
                    let w0 = max(wStart, 0)
                    let w1 = min(wStart + k, w)
                    if isMax {
                        var m = -Float.infinity
                        for r in h0..<max(h0, h1) {
                            for q in w0..<max(w0, w1) {
                                let v = src[r * w + q]
                                if v > m || v.isNaN { m = v }
                            }
                        }
                        dst[i * wo + j] = m
                    } else {
                        var sum: Float = 0
                        for r in h0..<max(h0, h1) { for q in w0..<max(w0, w1) { sum += src[r * w + q] } }
                        let divisor =
                            countIncludePad
                            ? (hEndPadded - hStart) * (wEndPadded - wStart)
                            : (h1 - h0) * (w1 - w0)
                        dst[i * wo + j] = sum / Float(max(1, divisor))
                    }
                }
            }
        }
        return y
    }
}
