/// Per-channel mean and standard deviation of a region, for colour matching (Reinhard-style transfer).
public struct ColorStatistics: Sendable, Equatable {
    public var mean: SIMD3<Float>
    public var deviation: SIMD3<Float>

    public init(mean: SIMD3<Float>, deviation: SIMD3<Float>) {
        self.mean = mean
        self.deviation = deviation
    }

    /// Statistics of the pixels of planar RGB `pixels` (`width × height`) inside `polygon`; nil if it covers none.
    public init?(pixels: UnsafePointer<Float>, width: Int, height: Int, inside polygon: [SIMD2<Float>]) {
        guard let box = PolygonMask.bounds(polygon, width: width, height: height) else { return nil }
        let plane = width * height
        var sum = SIMD3<Double>.zero
        var squares = SIMD3<Double>.zero
        var count = 0
        for y in box.y0...box.y1 {
            for x in box.x0...box.x1 where PolygonMask.contains(polygon, SIMD2(Float(x), Float(y))) {
                let i = y * width + x
                let v = SIMD3<Double>(Double(pixels[i]), Double(pixels[plane + i]), Double(pixels[2 * plane + i]))
                sum += v
                squares += v * v
                count += 1
            }
        }
        guard count > 0 else { return nil }
        let m = sum / Double(count)
        let variance = pointwiseMax(squares / Double(count) - m * m, .zero)
        mean = SIMD3<Float>(Float(m.x), Float(m.y), Float(m.z))
        deviation = SIMD3<Float>(
            Float(variance.x.squareRoot()), Float(variance.y.squareRoot()), Float(variance.z.squareRoot()))
    }

    /// `value` (a colour with these statistics) moved to `target`'s: `(v − μ) / σ · σ' + μ'`, with the gain limited
    /// to [0.5, 2] so a flat region cannot blow up.
    @inline(__always)
    public func transfer(_ value: SIMD3<Float>, to target: ColorStatistics) -> SIMD3<Float> {
        let gain = pointwiseMin(
            pointwiseMax(target.deviation / pointwiseMax(deviation, SIMD3(repeating: 1e-4)), SIMD3(repeating: 0.5)),
            SIMD3(repeating: 2))
        return (value - mean) * gain + target.mean
    }
}
