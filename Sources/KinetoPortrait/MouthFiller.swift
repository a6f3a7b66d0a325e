/// Fills the inside of a mouth that opens wider than the portrait's with the driving frame's mouth interior
/// (teeth, tongue), colour-matched to the portrait's lips and blended into the warped image in the gradient domain
/// (Poisson cloning, Pérez et al. 2003): the fill keeps its own gradients and takes on the warped image's values at
/// the lips, so no seam or feathered ring shows — the part a warp cannot make, as in Averbuch-Elor et al. 2017.
public struct MouthFiller: Sendable {
    /// How the fill meets the warped image.
    public enum Blend: Sendable {
        /// Poisson cloning: the difference to the warped image at the lips spread smoothly inside (a membrane).
        case gradient
        /// Alpha rising over `feather` pixels inside the lips (the old way, kept for comparison).
        case feather
    }

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
        drivingMouth: [SIMD2<Float>], drivingLips: [SIMD2<Float>], blend: Blend = .gradient
    ) {
        guard strength > 0, let map = Self.affine(from: mouth, to: drivingMouth),
            let drivingColors = ColorStatistics(
                pixels: driving, width: drivingWidth, height: drivingHeight, inside: drivingLips)
        else { return }
        let drivingPlane = drivingWidth * drivingHeight
        // The fill is no more colourful than the portrait's lips are next to the driver's: per-channel matching alone
        // tinted the mouth of a black-and-white portrait (white teeth against red lips turned cyan).
        let luma = SIMD3<Float>(0.299, 0.587, 0.114)
        func chroma(_ c: SIMD3<Float>) -> Float {
            let d = c - SIMD3(repeating: (c * luma).sum())
            return (d * d).sum().squareRoot()
        }
        let colourfulness = min(1, chroma(portraitColors.mean) / max(chroma(drivingColors.mean), 1e-4))
        Self.blend(
            output, width: width, height: height, region: mouth, strength: strength, feather: feather, blend: blend
        ) { p in
            let sx = map.0.x * p.x + map.0.y * p.y + map.0.z
            let sy = map.1.x * p.x + map.1.y * p.y + map.1.z
            let value = SIMD3(
                ImageResampler.bilinearClamped(driving, drivingWidth, drivingHeight, sx, sy),
                ImageResampler.bilinearClamped(driving + drivingPlane, drivingWidth, drivingHeight, sx, sy),
                ImageResampler.bilinearClamped(driving + 2 * drivingPlane, drivingWidth, drivingHeight, sx, sy))
            let matched = drivingColors.transfer(value, to: portraitColors)
            let grey = SIMD3<Float>(repeating: (matched * luma).sum())
            return grey + colourfulness * (matched - grey)
        }
    }

    /// Blends `source` (RGB of an output pixel centre) into `output` (planar RGB) inside the closed polygon
    /// `region`, by `strength`. `.gradient`: `f = source + r` inside, where `r` is harmonic (Δr = 0) and equals
    /// `output − source` on the pixels just outside, solved by red–black over-relaxation from the boundary's mean.
    public static func blend(
        _ output: UnsafeMutablePointer<Float>, width: Int, height: Int, region: [SIMD2<Float>], strength: Float,
        feather: Float, blend: Blend, source: (SIMD2<Float>) -> SIMD3<Float>
    ) {
        guard strength > 0, let box = PolygonMask.bounds(region, width: width, height: height) else { return }
        let plane = width * height
        switch blend {
        case .feather:
            for y in box.y0...box.y1 {
                for x in box.x0...box.x1 {
                    let p = SIMD2(Float(x), Float(y))
                    let alpha = PolygonMask.alpha(region, p, feather: feather) * strength
                    if alpha <= 0 { continue }
                    let value = source(p)
                    let i = y * width + x
                    for c in 0..<3 {
                        output[c * plane + i] = alpha * min(max(value[c], 0), 1) + (1 - alpha) * output[c * plane + i]
                    }
                }
            }
        case .gradient:
            // The box grown by one pixel holds the unknowns (inside) and their Dirichlet neighbours (outside).
            let x0 = max(0, box.x0 - 1)
            let y0 = max(0, box.y0 - 1)
            let x1 = min(width - 1, box.x1 + 1)
            let y1 = min(height - 1, box.y1 + 1)
            let bw = x1 - x0 + 1
            let bh = y1 - y0 + 1
            var inside = [Bool](repeating: false, count: bw * bh)
            var values = [SIMD3<Float>](repeating: .zero, count: bw * bh)
            var r = [SIMD3<Float>](repeating: .zero, count: bw * bh)
            var unknowns = 0
            for y in 0..<bh {
                for x in 0..<bw {
                    let p = SIMD2(Float(x + x0), Float(y + y0))
                    // Pixels on the picture's border stay boundary values (they have no outer neighbour).
                    let interior = x + x0 > 0 && y + y0 > 0 && x + x0 < width - 1 && y + y0 < height - 1
                    inside[y * bw + x] = interior && PolygonMask.contains(region, p)
                    if inside[y * bw + x] { unknowns += 1 }
                }
            }
            guard unknowns > 0 else { return }
            // Source values wherever an unknown or its neighbour is, and r's boundary values.
            var boundarySum = SIMD3<Float>.zero
            var boundaryCount: Float = 0
            for y in 0..<bh {
                for x in 0..<bw {
                    let k = y * bw + x
                    let near =
                        inside[k] || (x > 0 && inside[k - 1]) || (x < bw - 1 && inside[k + 1])
                        || (y > 0 && inside[k - bw]) || (y < bh - 1 && inside[k + bw])
                    guard near else { continue }
                    values[k] = source(SIMD2(Float(x + x0), Float(y + y0)))
                    if !inside[k] {
                        let i = (y + y0) * width + x + x0
                        let current = SIMD3(output[i], output[plane + i], output[2 * plane + i])
                        r[k] = current - values[k]
                        boundarySum += r[k]
                        boundaryCount += 1
                    }
                }
            }
            let start = boundaryCount > 0 ? boundarySum / boundaryCount : .zero
            for k in r.indices where inside[k] { r[k] = start }
            // Enough sweeps for the membrane to settle across the mouth's height (SOR converges in O(side) sweeps).
            let sweeps = max(30, 3 * max(box.x1 - box.x0, box.y1 - box.y0))
            let omega: Float = 1.85
            for _ in 0..<sweeps {
                for colour in 0..<2 {
                    for y in 1..<(bh - 1) {
                        var x = 1 + (y + colour) % 2
                        while x < bw - 1 {
                            let k = y * bw + x
                            if inside[k] {
                                let average = 0.25 * (r[k - 1] + r[k + 1] + r[k - bw] + r[k + bw])
                                r[k] += omega * (average - r[k])
                            }
                            x += 2
                        }
                    }
                }
            }
            for y in 0..<bh {
                for x in 0..<bw {
                    let k = y * bw + x
                    guard inside[k] else { continue }
                    let i = (y + y0) * width + x + x0
                    let f = values[k] + r[k]
                    for c in 0..<3 {
                        let v = min(max(f[c], 0), 1)
                        output[c * plane + i] = strength * v + (1 - strength) * output[c * plane + i]
                    }
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
