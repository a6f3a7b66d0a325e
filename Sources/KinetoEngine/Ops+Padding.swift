/// How `pad` fills the border (PyTorch's `F.pad` modes).
public enum PaddingMode: Sendable, Equatable {
    /// A constant value (`mode='constant'`).
    case constant(Float)
    /// Mirror without repeating the edge (`ReflectionPad2d`).
    case reflect
    /// Repeat the edge (`ReplicationPad2d`).
    case replicate
}

extension Ops {
    /// `torch.nn.functional.pad` of the last two dimensions: `left, right, top, bottom` (PyTorch's order
    /// `(left, right, top, bottom)`); negative values crop. Reflection needs padding < size.
    public static func pad(
        _ x: Tensor, left: Int, right: Int, top: Int, bottom: Int, mode: PaddingMode = .constant(0),
        out: Tensor? = nil
    ) -> Tensor {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        let ho = h + top + bottom
        let wo = w + left + right
        let y = output([n, c, ho, wo], like: x, out: out, "pad")
        Parallel.forEach(n * c) { index in
            let item = index / c
            let ch = index % c
            let src = x.pointer(item: item) + ch * h * w
            let dst = y.pointer(item: item) + ch * ho * wo
            for i in 0..<ho {
                let line = dst + i * wo
                guard let si = sourceIndex(i - top, size: h, mode: mode) else {
                    if case .constant(let v) = mode { line.update(repeating: v, count: wo) }
                    continue
                }
                let row = src + si * w
                for j in 0..<wo {
                    if let sj = sourceIndex(j - left, size: w, mode: mode) {
                        line[j] = row[sj]
                    } else if case .constant(let v) = mode {
                        line[j] = v
                    }
                }
            }
        }
        return y
    }

    @inline(__always)
    static func sourceIndex(_ i: Int, size: Int, mode: PaddingMode) -> Int? {
        if i >= 0 && i < size { return i }
        switch mode {
        case .constant: return nil
        case .replicate: return min(max(i, 0), size - 1)
        case .reflect:
            let period = 2 * (size - 1)
            if period == 0 { return 0 }
            var r = i % period
            if r < 0 { r += period }
            return r < size ? r : period - r
        }
    }
}
