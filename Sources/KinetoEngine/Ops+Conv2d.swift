import CKinetoKernels

/// Strides, paddings and dilations of a 2-D convolution or pooling window, per axis (PyTorch's tuple arguments).
public struct Window2D: Sendable, Equatable {
    public var strideH, strideW, padH, padW, dilationH, dilationW: Int

    public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1) {
        self.init(
            strideH: stride, strideW: stride, padH: padding, padW: padding, dilationH: dilation, dilationW: dilation)
    }

    public init(strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int = 1, dilationW: Int = 1) {
        self.strideH = strideH
        self.strideW = strideW
        self.padH = padH
        self.padW = padW
        self.dilationH = dilationH
        self.dilationW = dilationW
    }

    /// Output length of a convolution along one axis (PyTorch's floor formula).
    @inline(__always)
    static func convOutput(_ input: Int, kernel: Int, stride: Int, pad: Int, dilation: Int) -> Int {
        (input + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1
    }
}

extension Ops {
    /// `torch.nn.functional.conv2d` (+ optional fused activation): `x` `[N, Cin, H, W]`, `weight`
    /// `[Cout, Cin/groups, kh, kw]`, `bias` `[Cout]`. Implemented as tiled im2col + `cblas_sgemm` (1×1 stride-1
    /// convolutions multiply the input directly), columns split over the cores, bias and activation applied while the
    /// tile is in cache. With `residual` (same shape as the output) the result is
    /// `activation(conv(x) + bias + residual)`: a ResNet/RIFE `ResConv` skip connection in the same pass.
    public static func conv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
        dilation: Int = 1, groups: Int = 1, activation: Activation = .none,
        residual: Tensor? = nil, out: Tensor? = nil
    ) -> Tensor {
        conv2d(
            x, weight: weight, bias: bias, window: Window2D(stride: stride, padding: padding, dilation: dilation),
            groups: groups, activation: activation, residual: residual, out: out)
    }

    /// `conv2d` with per-axis stride, padding and dilation.
    public static func conv2d(
        _ x: Tensor, weight: Tensor, bias: Tensor? = nil, window g: Window2D, groups: Int = 1,
        activation: Activation = .none, residual: Tensor? = nil,
        out: Tensor? = nil, avx2: Bool = VectorKernels.avx2
    ) -> Tensor {
        Engine.check(x.rank == 4 && weight.rank == 4, "conv2d: input \(x.shape) and weight \(weight.shape) must be 4-D")
        let (n, cin, h, w) = (x.n, x.c, x.h, x.w)
        let (cout, cinG, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        Engine.check(
            cin == cinG * groups && cout % groups == 0,
            "conv2d: input \(x.shape), weight \(weight.shape), groups \(groups) do not fit")
        let ho = Window2D.convOutput(h, kernel: kh, stride: g.strideH, pad: g.padH, dilation: g.dilationH)
        let wo = Window2D.convOutput(w, kernel: kw, stride: g.strideW, pad: g.padW, dilation: g.dilationW)
        let y = output([n, cout, ho, wo], like: x, out: out, "conv2d")
        if let residual {
            Engine.check(
                residual.shape == y.shape, "conv2d: residual \(residual.shape) must match the output \(y.shape)")
        }
        let weightC = weight.isContiguous ? weight : weight.contiguousCopy()
        if groups > 1 && groups == cin && cout == cin && residual == nil {
            depthwiseConv2d(x, weight: weightC, bias: bias, window: g, activation: activation, y: y)
            return y
        }
        let m = cout / groups
        let k = cinG * kh * kw
        let columns = ho * wo
        let direct = kh == 1 && kw == 1 && g.strideH == 1 && g.strideW == 1 && g.padH == 0 && g.padW == 0
        let parts = Parallel.parts(columns, minimum: Gemm.minimumColumns(m: m, k: k))
        let step = ((columns + parts - 1) / parts + 15) / 16 * 16
        let tile = direct ? step : min(step, tileColumns(k: k))
        let scratch: Tensor? = direct ? nil : Tensor.empty([parts * k * tile], like: x)

        for item in 0..<n {
            for group in 0..<groups {
                let input = x.pointer(item: item) + group * cinG * h * w
                let a = weightC.pointer + group * m * k
                let result = y.pointer(item: item) + group * m * columns
                Parallel.forEach(parts) { part in
                    let begin = part * step
                    let end = min(columns, begin + step)
                    var p0 = begin
                    while p0 < end {
                        let count = min(tile, end - p0)
                        if direct {
                            Gemm.sgemm(
                                m: m, n: count, k: k, a: a, lda: k, b: input + p0, ldb: columns,
                                c: result + p0, ldc: columns)
                        } else {
                            let panel = scratch!.pointer + part * k * tile
                            im2col(
                                input, channels: cinG, height: h, width: w, kh: kh, kw: kw, window: g,
                                outWidth: wo, columns: p0..<(p0 + count), into: panel, avx2: avx2)
                            Gemm.sgemm(
                                m: m, n: count, k: k, a: a, lda: k, b: panel, ldb: count,
                                c: result + p0, ldc: columns)
                        }
                        if let residual {
                            let skip = residual.pointer(item: item) + group * m * columns + p0
                            for r in 0..<m {
                                let row = result + p0 + r * columns
                                let add = skip + r * columns
                                for i in 0..<count { row[i] += add[i] }
                            }
                        }
                        finish(
                            result + p0, rows: m, count: count, stride: columns, bias: bias,
                            channelBase: group * m, activation: activation)
                        p0 += count
                    }
                }
            }
        }
        return y
    }

    /// Columns per im2col tile. Each GEMM call packs the whole weight matrix (`m × k`), so tiles must be wide to
    /// amortize that; OpenBLAS blocks the panel for the caches itself. Measured on a 2-core Zen 3 (`kineto bench
    /// ops`): tiles of 128-256 columns lose 10-25 % on the 512- and 192-channel 3×3 convolutions against ≥ 512;
    /// beyond that it is flat. An 8 MB panel bound keeps the scratch memory modest.
    @inline(__always)
    static func tileColumns(k: Int) -> Int {
        let columns = (2_097_152 / max(1, k) + 15) / 16 * 16
        return min(2048, max(256, columns))
    }

    /// Adds the bias of each of `rows` output channels and applies the activation, over `count` values per row.
    @inline(__always)
    static func finish(
        _ p: UnsafeMutablePointer<Float>, rows: Int, count: Int, stride: Int, bias: Tensor?,
        channelBase: Int, activation: Activation
    ) {
        if bias == nil && activation.isIdentity { return }
        let b = bias?.pointer
        for r in 0..<rows {
            activation.apply(p + r * stride, count: count, bias: b?[channelBase + r] ?? 0, channel: channelBase + r)
        }
    }

    /// Writes the im2col panel for output positions `columns` (row-major `[channels·kh·kw, columns.count]`).
    static func im2col(
        _ input: UnsafePointer<Float>, channels: Int, height h: Int, width w: Int, kh: Int, kw: Int,
        window g: Window2D, outWidth wo: Int, columns: Range<Int>,
        into panel: UnsafeMutablePointer<Float>, avx2: Bool = VectorKernels.avx2
    ) {
        let count = columns.count
        var row = 0
        for c in 0..<channels {
            let plane = input + c * h * w
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let dst = panel + row * count
                    var p = columns.lowerBound
                    while p < columns.upperBound {
                        let oh = p / wo
                        let ow0 = p - oh * wo
                        let run = min(wo - ow0, columns.upperBound - p)
                        let ih = oh * g.strideH - g.padH + ki * g.dilationH
                        let out = dst + (p - columns.lowerBound)
                        if ih < 0 || ih >= h {
                            out.update(repeating: 0, count: run)
                        } else {
                            let src = plane + ih * w
                            let iw0 = ow0 * g.strideW - g.padW + kj * g.dilationW
                            if g.strideW == 1 {
                                // Contiguous source run with zero edges.
                                let lo = max(0, -iw0)
                                let hi = min(run, w - iw0)
                                if lo > 0 { out.update(repeating: 0, count: min(lo, run)) }
                                if hi > lo { (out + lo).update(from: src + iw0 + lo, count: hi - lo) }
                                if hi < run { (out + max(hi, lo)).update(repeating: 0, count: run - max(hi, lo)) }
                            } else {
                                // Strided source run: zero edges, then a branch-free gather of the inside.
                                let s = g.strideW
                                let lo = iw0 >= 0 ? 0 : min(run, (s - 1 - iw0) / s)
                                let hi = iw0 > w - 1 ? lo : max(lo, min(run, (w - 1 - iw0) / s + 1))
                                if lo > 0 { out.update(repeating: 0, count: lo) }
                                if s == 2 && avx2 {
                                    kineto_gather_even_avx2(src + iw0 + 2 * lo, out + lo, Int64(hi - lo))
                                } else if s == 2 {
                                    let first = src + iw0
                                    for i in lo..<hi { out[i] = first[2 * i] }
                                } else {
                                    var iw = iw0 + lo * s
                                    for i in lo..<hi {
                                        out[i] = src[iw]
                                        iw += s
                                    }
                                }
                                if hi < run { (out + hi).update(repeating: 0, count: run - hi) }
                            }
                        }
                        p += run
                    }
                    row += 1
                }
            }
        }
    }
}
