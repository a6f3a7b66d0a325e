extension Ops {
    /// `torch.nn.functional.pixel_shuffle`: `[N, C·r², H, W]` → `[N, C, H·r, W·r]`.
    public static func pixelShuffle(_ x: Tensor, upscaleFactor r: Int, out: Tensor? = nil) -> Tensor {
        let (n, cr, h, w) = (x.n, x.c, x.h, x.w)
        Engine.check(cr % (r * r) == 0, "pixelShuffle: \(cr) channels not divisible by \(r * r)")
        let c = cr / (r * r)
        let y = output([n, c, h * r, w * r], like: x, out: out, "pixelShuffle")
        Parallel.forEach(n * c) { index in
            let item = index / c
            let ch = index % c
            let dst = y.pointer(item: item) + ch * h * r * w * r
            for i in 0..<r {
                for j in 0..<r {
                    let src = x.pointer(item: item) + ((ch * r + i) * r + j) * h * w
                    for row in 0..<h {
                        let line = dst + (row * r + i) * w * r + j
                        for col in 0..<w { line[col * r] = src[row * w + col] }
                    }
                }
            }
        }
        return y
    }

    /// `torch.nn.functional.pixel_unshuffle`: `[N, C, H·r, W·r]` → `[N, C·r², H, W]`.
    public static func pixelUnshuffle(_ x: Tensor, downscaleFactor r: Int, out: Tensor? = nil) -> Tensor {
        let (n, c, hr, wr) = (x.n, x.c, x.h, x.w)
        Engine.check(hr % r == 0 && wr % r == 0, "pixelUnshuffle: size \(hr)×\(wr) not divisible by \(r)")
        let h = hr / r
        let w = wr / r
        let y = output([n, c * r * r, h, w], like: x, out: out, "pixelUnshuffle")
        Parallel.forEach(n * c) { index in
            let item = index / c
            let ch = index % c
            let src = x.pointer(item: item) + ch * hr * wr
            for i in 0..<r {
                for j in 0..<r {
                    let dst = y.pointer(item: item) + ((ch * r + i) * r + j) * h * w
                    for row in 0..<h {
                        let line = src + (row * r + i) * wr + j
                        for col in 0..<w { dst[row * w + col] = line[col * r] }
                    }
                }
            }
        }
        return y
    }

    /// `torch.cat(tensors, dim=1)`: concatenation along channels (all other dimensions equal).
    public static func concat(_ tensors: [Tensor], out: Tensor? = nil) -> Tensor {
        Engine.check(!tensors.isEmpty, "concat: no tensors")
        let first = tensors[0]
        var shape = first.shape
        shape[1] = tensors.reduce(0) { $0 + $1.c }
        for t in tensors {
            Engine.check(
                t.rank == first.rank && t.n == first.n && t.shape.dropFirst(2) == first.shape.dropFirst(2),
                "concat: shapes \(tensors.map(\.shape)) differ outside dimension 1")
        }
        let y = output(shape, like: first, out: out, "concat")
        var start = 0
        for t in tensors {
            y.channels(start..<(start + t.c)).copy(from: t)
            start += t.c
        }
        return y
    }

    /// `torch.cat(tensors, dim=0)` (and `torch.stack` of batch-1 tensors): concatenation along the batch.
    public static func concatBatch(_ tensors: [Tensor], out: Tensor? = nil) -> Tensor {
        Engine.check(!tensors.isEmpty, "concatBatch: no tensors")
        var shape = tensors[0].shape
        shape[0] = tensors.reduce(0) { $0 + $1.shape[0] }
        let y = output(shape, like: tensors[0], out: out, "concatBatch")
        var start = 0
        for t in tensors {
            Engine.check(t.shape.dropFirst() == shape.dropFirst(), "concatBatch: shapes \(tensors.map(\.shape)) differ")
            for i in 0..<t.shape[0] { y.item(start + i).copy(from: t.item(i)) }
            start += t.shape[0]
        }
        return y
    }

    /// `torch.stack(tensors, dim=1)` of `[N, C, H, W]` tensors as `[N, T, C, H, W]` (5-D result).
    public static func stack(_ tensors: [Tensor], out: Tensor? = nil) -> Tensor {
        let first = tensors[0]
        let merged = concat(tensors)
        let shape = [first.n, tensors.count] + Array(first.shape.dropFirst())
        if let out {
            out.copy(from: merged)
            return out
        }
        return merged.reshaped(shape)
    }

    /// Mean over dimension 1 (`x.mean(1, keepdim=True)`): `[N, C, ...]` → `[N, 1, ...]`.
    public static func meanChannels(_ x: Tensor, out: Tensor? = nil) -> Tensor {
        reduceChannels(x, divideByCount: true, out: out, "meanChannels")
    }

    /// Sum over dimension 1 (`torch.sum(x, 1, keepdim=True)`, e.g. EDVR's TSA correlation): `[N, C, ...]` →
    /// `[N, 1, ...]`.
    public static func sumChannels(_ x: Tensor, out: Tensor? = nil) -> Tensor {
        reduceChannels(x, divideByCount: false, out: out, "sumChannels")
    }

    /// Spatial crop `x[:, :, top ..< top+height, left ..< left+width]` (a copy).
    public static func crop(_ x: Tensor, top: Int, left: Int, height: Int, width: Int, out: Tensor? = nil) -> Tensor {
        Engine.check(
            top >= 0 && left >= 0 && top + height <= x.h && left + width <= x.w,
            "crop: \(height)×\(width) at (\(top), \(left)) lies outside \(x.shape)")
        return pad(x, left: -left, right: width + left - x.w, top: -top, bottom: height + top - x.h, out: out)
    }

    static func reduceChannels(_ x: Tensor, divideByCount: Bool, out: Tensor?, _ name: String) -> Tensor {
        var shape = x.shape
        shape[1] = 1
        let y = output(shape, like: x, out: out, name)
        let plane = x.shape.dropFirst(2).reduce(1, *)
        let c = x.c
        for item in 0..<x.n {
            let src = x.pointer(item: item)
            let dst = y.pointer(item: item)
            Parallel.forRanges(plane, minimum: 4096) { r in
                for p in r {
                    var sum: Float = 0
                    for ch in 0..<c { sum += src[ch * plane + p] }
                    dst[p] = divideByCount ? sum / Float(c) : sum
                }
            }
        }
        return y
    }

    /// Mean of all elements (`x.mean()`), accumulated in double.
    public static func mean(_ x: Tensor) -> Float {
        var sum = 0.0
        for item in 0..<max(1, x.shape.first ?? 1) {
            let p = x.pointer(item: item)
            for i in 0..<x.itemSize { sum += Double(p[i]) }
        }
        return Float(sum / Double(max(1, x.count)))
    }
}
