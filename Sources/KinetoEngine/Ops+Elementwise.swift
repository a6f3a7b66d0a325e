import Foundation

extension Ops {
    /// Applies `activation` element-wise (PyTorch's `relu`, `leaky_relu`, `prelu` with per-channel weight,
    /// `sigmoid`, `tanh`).
    public static func activation(_ x: Tensor, _ activation: Activation, out: Tensor? = nil) -> Tensor {
        let y = output(x.shape, like: x, out: out, "activation")
        let planes = x.rank >= 2 ? x.c : 1
        let planeSize = x.rank >= 2 ? x.shape.dropFirst(2).reduce(1, *) : x.itemSize
        let items = x.rank >= 1 ? x.shape[0] : 1
        Parallel.forEach(items * planes) { index in
            let item = index / planes
            let channel = index % planes
            let src = x.pointer(item: item) + channel * planeSize
            let dst = y.pointer(item: item) + channel * planeSize
            if src != dst { dst.update(from: src, count: planeSize) }
            activation.apply(dst, count: planeSize, bias: 0, channel: channel)
        }
        return y
    }

    public static func relu(_ x: Tensor, out: Tensor? = nil) -> Tensor { activation(x, .relu, out: out) }
    public static func leakyReLU(_ x: Tensor, negativeSlope: Float = 0.01, out: Tensor? = nil) -> Tensor {
        activation(x, .leakyReLU(negativeSlope), out: out)
    }
    /// PReLU with `weight` `[C]` (one slope per channel) or `[1]`.
    public static func prelu(_ x: Tensor, weight: Tensor, out: Tensor? = nil) -> Tensor {
        activation(x, .prelu(weight), out: out)
    }
    public static func sigmoid(_ x: Tensor, out: Tensor? = nil) -> Tensor { activation(x, .sigmoid, out: out) }
    public static func tanh(_ x: Tensor, out: Tensor? = nil) -> Tensor { activation(x, .tanh, out: out) }

    /// `x * scale + shift` element-wise (covers `x * s`, `x + s`, `2 * x - 1`).
    public static func affine(_ x: Tensor, scale: Float, shift: Float = 0, out: Tensor? = nil) -> Tensor {
        let y = output(x.shape, like: x, out: out, "affine")
        let inner = x.itemSize
        for item in 0..<max(1, x.shape.first ?? 1) {
            let src = x.pointer(item: item)
            let dst = y.pointer(item: item)
            Parallel.forRanges(inner, minimum: 1 << 16) { r in
                for i in r { dst[i] = src[i] * scale + shift }
            }
        }
        return y
    }

    /// Clamps every element to `[lower, upper]` (`torch.clamp`).
    public static func clamp(_ x: Tensor, min lower: Float, max upper: Float, out: Tensor? = nil) -> Tensor {
        let y = output(x.shape, like: x, out: out, "clamp")
        let inner = x.itemSize
        for item in 0..<max(1, x.shape.first ?? 1) {
            let src = x.pointer(item: item)
            let dst = y.pointer(item: item)
            Parallel.forRanges(inner, minimum: 1 << 16) { r in
                for i in r { dst[i] = Swift.min(Swift.max(src[i], lower), upper) }
            }
        }
        return y
    }

    public static func add(_ a: Tensor, _ b: Tensor, out: Tensor? = nil) -> Tensor {
        binary(a, b, out: out, "add") { $0 + $1 }
    }
    public static func sub(_ a: Tensor, _ b: Tensor, out: Tensor? = nil) -> Tensor {
        binary(a, b, out: out, "sub") { $0 - $1 }
    }
    public static func mul(_ a: Tensor, _ b: Tensor, out: Tensor? = nil) -> Tensor {
        binary(a, b, out: out, "mul") { $0 * $1 }
    }
    public static func div(_ a: Tensor, _ b: Tensor, out: Tensor? = nil) -> Tensor {
        binary(a, b, out: out, "div") { $0 / $1 }
    }

    /// `a * weight + b * (1 - weight)` with PyTorch broadcasting of `weight` (e.g. a `[N, 1, H, W]` mask blending
    /// two images, as RIFE's merge does).
    public static func blend(_ a: Tensor, _ b: Tensor, weight: Tensor, out: Tensor? = nil) -> Tensor {
        // One pass for the usual case: a, b [N, C, H, W] and a one-channel weight [N, 1, H, W].
        if a.rank == 4 && a.shape == b.shape && weight.rank == 4 && weight.c == 1 && weight.n == a.n
            && weight.h == a.h && weight.w == a.w
        {
            let y = output(a.shape, like: a, out: out, "blend")
            let plane = a.h * a.w
            let c = a.c
            for item in 0..<a.n {
                let pa = a.pointer(item: item)
                let pb = b.pointer(item: item)
                let pw = weight.pointer(item: item)
                let py = y.pointer(item: item)
                Parallel.forRanges(plane, minimum: 1 << 14) { r in
                    for ch in 0..<c {
                        let base = ch * plane
                        for p in r { py[base + p] = pa[base + p] * pw[p] + pb[base + p] * (1 - pw[p]) }
                    }
                }
            }
            return y
        }
        let weighted = mul(a, weight)
        return add(weighted, mul(b, 1 - weight), out: out)
    }

    /// Element-wise `op(a, b)` with PyTorch broadcasting over 4-D (or lower-rank, left-padded) shapes.
    @inline(__always)
    static func binary(
        _ a: Tensor, _ b: Tensor, out: Tensor?, _ name: String,
        _ op: @escaping (Float, Float) -> Float
    ) -> Tensor {
        let sa = padded4(a.shape)
        let sb = padded4(b.shape)
        var shape = [Int](repeating: 1, count: 4)
        for d in 0..<4 {
            Engine.check(
                sa[d] == sb[d] || sa[d] == 1 || sb[d] == 1, "\(name): shapes \(a.shape) and \(b.shape) do not broadcast"
            )
            shape[d] = max(sa[d], sb[d])
        }
        let resultShape =
            a.rank >= b.rank && sa == shape ? a.shape : (b.rank >= a.rank && sb == shape ? b.shape : shape)
        let y = output(resultShape, like: a, out: out, name)
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        if sa == shape && sb == shape {
            for item in 0..<n {
                let pa = a.pointer(item: item)
                let pb = b.pointer(item: item)
                let py = y.pointer(item: item)
                Parallel.forRanges(c * h * w, minimum: 1 << 16) { r in
                    for i in r { py[i] = op(pa[i], pb[i]) }
                }
            }
            return y
        }
        // Strides with 0 on broadcast dimensions; the innermost dimension is 0 or 1.
        func strides(_ s: [Int], _ t: Tensor) -> (Int, Int, Int, Int) {
            let batch = t.rank == 4 ? t.batchStride : s[1] * s[2] * s[3]
            return (s[0] == 1 ? 0 : batch, s[1] == 1 ? 0 : s[2] * s[3], s[2] == 1 ? 0 : s[3], s[3] == 1 ? 0 : 1)
        }
        let ta = strides(sa, a)
        let tb = strides(sb, b)
        let ya = y.rank == 4 ? y.batchStride : c * h * w
        Parallel.forEach(n * c) { index in
            let item = index / c
            let channel = index % c
            let pa = a.pointer + item * ta.0 + channel * ta.1
            let pb = b.pointer + item * tb.0 + channel * tb.1
            let py = y.pointer + item * ya + channel * h * w
            for row in 0..<h {
                let ra = pa + row * ta.2
                let rb = pb + row * tb.2
                let ry = py + row * w
                for col in 0..<w { ry[col] = op(ra[col * ta.3], rb[col * tb.3]) }
            }
        }
        return y
    }

    static func padded4(_ shape: [Int]) -> [Int] {
        Array(repeating: 1, count: max(0, 4 - shape.count)) + shape.suffix(4)
    }
}

extension Tensor {
    /// `self + other` with broadcasting (see `Ops.add`).
    public func adding(_ other: Tensor) -> Tensor { Ops.add(self, other) }

    public static func + (a: Tensor, b: Tensor) -> Tensor { Ops.add(a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { Ops.sub(a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { Ops.mul(a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { Ops.div(a, b) }
    public static func * (a: Tensor, s: Float) -> Tensor { Ops.affine(a, scale: s) }
    public static func * (s: Float, a: Tensor) -> Tensor { Ops.affine(a, scale: s) }
    public static func + (a: Tensor, s: Float) -> Tensor { Ops.affine(a, scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { Ops.affine(a, scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { Ops.affine(a, scale: -1, shift: s) }
}
