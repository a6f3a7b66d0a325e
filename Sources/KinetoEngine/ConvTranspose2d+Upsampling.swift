import CKinetoKernels

extension ConvTranspose2d {
    /// This layer (4×4, stride 2, padding 1, no activation) on `x` `[1, Cin, H, W]` (weight `[Cin, Cout, 4, 4]`), optionally
    /// followed by `PixelShuffle(2)` (`shuffle`), written into `out` (`[1, Cout, 2H, 2W]`, or `[1, Cout/4, 4H, 4W]`
    /// shuffled; may be a channel view). Where the weight was packed at load (`algorithm == .direct`), directly (`kineto_conv_transpose4x4_rows_avx512`:
    /// each output row as its two 2×2 phase convolutions, written once). Else as the engine's operator: a GEMM
    /// `weightᵀ · x` then a scatter-add of the columns, but over bands of input rows so the column buffer stays
    /// small (a few MB at any frame size), and the scatter writes straight to the shuffled position.
    ///
    /// `out` may hold fewer planes than the layer makes (`out.c`): the rest are not computed (RIFE's last block
    /// needs only the flow and mask of its 13 output channels). `direct: false` takes the GEMM path even where the
    /// weight was packed (for side-by-side comparisons).
    public func upsampling(_ x: Tensor, shuffle: Bool, pool: TensorPool, out: Tensor, direct: Bool = true) {
        var plain = false
        if case .none = activation { plain = true }
        Engine.check(
            weight.shape[2] == 4 && weight.shape[3] == 4 && stride == 2 && padding == 1 && outputPadding == 0
                && dilation == 1 && groups == 1 && plain,
            "upsampling: the layer must be a 4×4, stride-2, padding-1 transposed convolution without activation")
        Engine.check(x.n == 1 && x.c == weight.shape[0], "upsampling: input \(x.shape) does not fit \(weight.shape)")
        let (cin, h, w) = (x.c, x.h, x.w)
        let lda = weight.shape[1] * 16
        let cout = shuffle ? 4 * out.c : out.c
        let m = cout * 16
        let (ho, wo) = (2 * h, 2 * w)
        // Output planes and where conv-transpose pixel (o, Y, X) lands.
        let planes = shuffle ? cout / 4 : cout
        let (outH, outW) = shuffle ? (2 * ho, 2 * wo) : (ho, wo)
        let outPlane = outH * outW
        let base = out.pointer
        let b = bias?.pointer
        if direct, let packed {
            // Direct: every output row is computed whole, once (no column buffer, no scatter-add, no bias pass).
            let blocks = (cout + 7) / 8
            let items = blocks * ho
            let chunk = max(1, items / (8 * Parallel.maxThreads))
            let chunks = (items + chunk - 1) / chunk
            let claimed = ClaimCounter()
            packed.withUnsafeBufferPointer { weights in
                Parallel.forEach(min(chunks, Parallel.maxThreads)) { _ in
                    while let index = claimed.next(below: chunks) {
                        kineto_conv_transpose4x4_rows_avx512(
                            x.pointer, Int64(cin), Int64(h), Int64(w), weights.baseAddress!,
                            b, Int64(cout), shuffle ? 1 : 0, base, Int64(outPlane),
                            Int64(index * chunk), Int64(min(items, (index + 1) * chunk)))
                    }
                }
            }
            return
        }
        // Start from the bias.
        Parallel.forEach(planes) { plane in
            let p = base + plane * outPlane
            if shuffle {
                for i in 0..<2 {
                    for j in 0..<2 {
                        let value = b?[plane * 4 + i * 2 + j] ?? 0
                        for y in 0..<ho { for xx in 0..<wo { p[(2 * y + i) * outW + 2 * xx + j] = value } }
                    }
                }
            } else {
                p.update(repeating: b?[plane] ?? 0, count: outPlane)
            }
        }
        let bandRows = max(1, min(h, (1 << 21) / max(1, m * w)))
        let columns = pool.tensor([m * bandRows * w])
        var row0 = 0
        while row0 < h {
            let rows = min(bandRows, h - row0)
            let n = rows * w
            Gemm.parallelSgemm(
                m: m, n: n, k: cin, a: weight.pointer, lda: lda, transposeA: true,
                b: x.pointer + row0 * w, ldb: h * w, c: columns.pointer, ldc: n)
            let cols = columns.pointer
            // One task per output channel: no two tasks write the same pixel. Input row iy reaches output rows
            // Y = 2·iy − 1 + ky; along a row, output X = 2b takes taps kx = 1 (ix = b) and 3 (ix = b − 1), and
            // X = 2b + 1 takes kx = 2 (ix = b) and 0 (ix = b + 1): one pass per (input row, ky) adds both taps.
            Parallel.forEach(cout) { o in
                let (plane, i, j) = shuffle ? (o / 4, (o / 2) % 2, o % 2) : (o, 0, 0)
                let dst = base + plane * outPlane
                let (rowStride, colStride, offset) = shuffle ? (2 * outW, 2, i * outW + j) : (outW, 1, 0)
                for r in 0..<rows {
                    for ky in 0..<4 {
                        let y = 2 * (row0 + r) - 1 + ky
                        if y < 0 || y >= ho { continue }
                        let taps = cols + (o * 16 + ky * 4) * n + r * w
                        let t0 = taps
                        let t1 = taps + n
                        let t2 = taps + 2 * n
                        let t3 = taps + 3 * n
                        let target = dst + y * rowStride + offset
                        let step = 2 * colStride
                        // b = 0 has no kx = 3 tap, b = w − 1 no kx = 0 tap.
                        target[0] += t1[0]
                        target[colStride] += t2[0] + (w > 1 ? t0[1] : 0)
                        if w > 1 {
                            var even = target + step
                            var odd = target + step + colStride
                            for b in 1..<(w - 1) {
                                even.pointee += t1[b] + t3[b - 1]
                                odd.pointee += t2[b] + t0[b + 1]
                                even += step
                                odd += step
                            }
                            even.pointee += t1[w - 1] + t3[w - 2]
                            odd.pointee += t2[w - 1]
                        }
                    }
                }
            }
            row0 += rows
        }
    }
}
