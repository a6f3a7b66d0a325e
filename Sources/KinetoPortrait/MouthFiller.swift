/// Fills the inside of a mouth that opens wider than the portrait's with the driving frame's mouth interior
/// (teeth, tongue), colour-matched to the portrait's lips and feathered into the warped image — the part a warp
/// cannot make, as in Averbuch-Elor et al. 2017.
public struct MouthFiller: Sendable {
    /// The portrait's mouth opening (face-size units) and its lip-region colour statistics.
    public let portraitOpening: Float
    public let portraitColors: ColorStatistics
    /// Opening beyond the portrait's at which filling starts, and the extra opening over which it fades in.
    public var threshold: Float = 0.01
    public var ramp: Float = 0.04

    public init(portraitOpening: Float, portraitColors: ColorStatistics) {
        self.portraitOpening = portraitOpening
        self.portraitColors = portraitColors
    }

    /// How strongly the mouth with normalized opening `opening` is filled, in [0, 1].
    public func strength(opening: Float) -> Float {
        min(max((opening - portraitOpening - threshold) / ramp, 0), 1)
    }

    /// Fills `output` (planar RGB, `width × height`) inside the output's inner-lip contour `mouth` from `driving`
    /// (planar RGB) inside its inner-lip contour `drivingMouth`, mapped by the least-squares affine between the two
    /// contours. `drivingLips` is the driving outer-lip contour (colour statistics); `feather` in output pixels.
    public func fill(
        _ output: UnsafeMutablePointer<Float>, width: Int, height: Int, mouth: [SIMD2<Float>], strength: Float,
        feather: Float, driving: UnsafePointer<Float>, drivingWidth: Int, drivingHeight: Int,
        drivingMouth: [SIMD2<Float>], drivingLips: [SIMD2<Float>]
    ) {
        guard strength > 0, let box = PolygonMask.bounds(mouth, width: width, height: height),
            let map = Self.affine(from: mouth, to: drivingMouth),
            let drivingColors = ColorStatistics(
                pixels: driving, width: drivingWidth, height: drivingHeight, inside: drivingLips)
        else { return }
        let plane = width * height
        let drivingPlane = drivingWidth * drivingHeight
        for y in box.y0...box.y1 {
            for x in box.x0...box.x1 {
                let p = SIMD2(Float(x), Float(y))
                let alpha = PolygonMask.alpha(mouth, p, feather: feather) * strength
                if alpha <= 0 { continue }
                let sx = map.0.x * p.x + map.0.y * p.y + map.0.z
                let sy = map.1.x * p.x + map.1.y * p.y + map.1.z
                let value = SIMD3(
                    ImageResampler.bilinearClamped(driving, drivingWidth, drivingHeight, sx, sy),
                    ImageResampler.bilinearClamped(driving + drivingPlane, drivingWidth, drivingHeight, sx, sy),
                    ImageResampler.bilinearClamped(driving + 2 * drivingPlane, drivingWidth, drivingHeight, sx, sy))
                let matched = drivingColors.transfer(value, to: portraitColors)
                let i = y * width + x
                for c in 0..<3 {
                    let v = min(max(matched[c], 0), 1)
                    output[c * plane + i] = alpha * v + (1 - alpha) * output[c * plane + i]
                }
            }
        }
    }

    /// The affine map (rows for x and y: `a·x + b·y + c`) that best takes `from` onto `to` (least squares).
    static func affine(from: [SIMD2<Float>], to: [SIMD2<Float>]) -> (SIMD3<Float>, SIMD3<Float>)? {
        // Normal equations Mᵀ M w = Mᵀ t with rows (x, y, 1), in double, centred for conditioning.
        var mean = SIMD2<Double>.zero
        for p in from { mean += SIMD2(Double(p.x), Double(p.y)) }
        mean /= Double(from.count)
        var sxx = 0.0
        var sxy = 0.0
        var syy = 0.0
        var bx = SIMD3<Double>.zero
        var by = SIMD3<Double>.zero
        for (p, q) in zip(from, to) {
            let x = Double(p.x) - mean.x
            let y = Double(p.y) - mean.y
            sxx += x * x
            sxy += x * y
            syy += y * y
            bx += SIMD3(x * Double(q.x), y * Double(q.x), Double(q.x))
            by += SIMD3(x * Double(q.y), y * Double(q.y), Double(q.y))
        }
        let n = Double(from.count)
        let det = sxx * syy - sxy * sxy
        // A mouth closed to a line has no height: fall back to a similarity scale for y.
        guard n >= 3, sxx > 1e-9 else { return nil }
        func solve(_ b: SIMD3<Double>) -> SIMD3<Float> {
            var a: Double
            var c: Double
            if abs(det) > 1e-9 * sxx * sxx {
                a = (b.x * syy - b.y * sxy) / det
                c = (b.y * sxx - b.x * sxy) / det
            } else {
                a = b.x / sxx
                c = 0
            }
            let offset = b.z / n - a * mean.x - c * mean.y
            return SIMD3(Float(a), Float(c), Float(offset))
        }
        var rowX = solve(bx)
        var rowY = solve(by)
        // Degenerate height (closed-mouth contour): scale y like x.
        if abs(det) <= 1e-9 * sxx * sxx {
            rowY = SIMD3(0, rowX.x, rowY.z)
            rowX = SIMD3(rowX.x, 0, rowX.z)
        }
        return (rowX, rowY)
    }
}
