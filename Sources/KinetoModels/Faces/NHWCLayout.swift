import KinetoEngine

/// Conversions between TFLite's row-major NHWC values and the engine's NCHW tensors.
enum NHWCLayout {
    /// A TFLite shape of rank ≤ 4 as NHWC (leading ones added), e.g. `[C]` → `[1, 1, 1, C]`.
    static func nhwc(_ shape: [Int]) -> [Int] {
        Array(repeating: 1, count: max(0, 4 - shape.count)) + shape
    }

    /// NHWC values of shape `[n, h, w, c]` as an NCHW tensor `[n, c, h, w]`.
    static func tensor(fromNHWC values: [Float], shape: [Int]) -> Tensor {
        let s = nhwc(shape)
        let (n, h, w, c) = (s[0], s[1], s[2], s[3])
        let y = Tensor(zeros: [n, c, h, w])
        let p = y.pointer
        values.withUnsafeBufferPointer { v in
            for item in 0..<n {
                for row in 0..<h {
                    for col in 0..<w {
                        let source = ((item * h + row) * w + col) * c
                        for ch in 0..<c { p[((item * c + ch) * h + row) * w + col] = v[source + ch] }
                    }
                }
            }
        }
        return y
    }

    /// An NCHW tensor's values in NHWC order.
    static func nhwcValues(of x: Tensor) -> [Float] {
        let (n, c, h, w) = (x.n, x.c, x.h, x.w)
        var values = [Float](repeating: 0, count: n * c * h * w)
        values.withUnsafeMutableBufferPointer { v in
            for item in 0..<n {
                let p = x.pointer(item: item)
                for ch in 0..<c {
                    for i in 0..<(h * w) { v[(item * h * w + i) * c + ch] = p[ch * h * w + i] }
                }
            }
        }
        return values
    }
}
