import Foundation
import KinetoMedia
import KinetoPortrait
import Testing

/// The coloring stage's warp and mesh.
@Suite struct WarpTests {
    /// A mesh over a `w × h` frame: a jittered grid plus the frame corners just outside the pixel centres.
    func mesh(width w: Int, height h: Int) -> [SIMD2<Float>] {
        var points: [SIMD2<Float>] = [
            SIMD2(-0.5, -0.5), SIMD2(Float(w) - 0.5, -0.5), SIMD2(-0.5, Float(h) - 0.5),
            SIMD2(Float(w) - 0.5, Float(h) - 0.5),
        ]
        for gy in 1..<6 {
            for gx in 1..<6 {
                points.append(
                    SIMD2(
                        Float(gx) * Float(w) / 6 + Float((gx * 7 + gy * 3) % 5) - 2,
                        Float(gy) * Float(h) / 6 + Float((gx * 3 + gy * 5) % 5) - 2))
            }
        }
        return points
    }

    func pattern(width w: Int, height h: Int, _ f: (Float, Float, Int) -> Float) -> RGBImage {
        var pixels = [Float](repeating: 0, count: 3 * w * h)
        for c in 0..<3 { for y in 0..<h { for x in 0..<w { pixels[(c * h + y) * w + x] = f(Float(x), Float(y), c) } } }
        return RGBImage(width: w, height: h, pixels: pixels)
    }

    /// Delaunay triangles tile the convex hull exactly (areas sum to the frame's) and keep every point a vertex.
    @Test func triangulationTilesTheFrame() {
        let points = mesh(width: 96, height: 64)
        let mesh = DelaunayTriangulation(points: points)
        var area: Float = 0
        var used = Set<Int32>()
        for t in mesh.triangles {
            let a = mesh.points[Int(t.x)]
            let b = mesh.points[Int(t.y)]
            let c = mesh.points[Int(t.z)]
            let signed = ((b - a).x * (c - a).y - (b - a).y * (c - a).x) / 2
            #expect(signed > 0)
            area += signed
            used.formUnion([t.x, t.y, t.z])
        }
        #expect(abs(area - 96 * 64) < 0.01)
        #expect(used.count == points.count)
        // Coincident points (a closed mouth) are nudged apart and still triangulated.
        let doubled = DelaunayTriangulation(points: points + [points[10], points[10]])
        #expect(Set(doubled.triangles.flatMap { [$0.x, $0.y, $0.z] }).count == points.count + 2)
    }

    /// Points that do not move reproduce the image (to float rounding).
    @Test func identityMotionReproducesTheImage() {
        let image = pattern(width: 80, height: 60) { x, y, c in 0.5 + 0.4 * sin(0.3 * x + 0.2 * y + Float(c)) }
        let points = mesh(width: 80, height: 60)
        let warp = PiecewiseAffineWarp(triangles: DelaunayTriangulation(points: points).triangles)
        var blank = RGBImage(width: 80, height: 60)
        // Warp into a black image: every pixel must be written (the mesh covers the frame).
        image.pixels.withUnsafeBufferPointer { src in
            blank.pixels.withUnsafeMutableBufferPointer { dst in
                warp.warp(
                    source: src.baseAddress!, into: dst.baseAddress!, channels: 3, width: 80, height: 60, from: points,
                    to: points)
            }
        }
        let error = zip(blank.pixels, image.pixels).map { abs($0 - $1) }.max()!
        #expect(error < 1e-4)
    }

    /// Moving every point by a known affine map moves a linear pattern exactly (bilinear sampling is exact on it):
    /// output(p) = image(A⁻¹ p) inside the moved frame.
    @Test func knownAffineMovesThePattern() {
        let (w, h) = (80, 60)
        let image = pattern(width: w, height: h) { x, y, c in 0.1 + 0.008 * x + 0.005 * y + 0.1 * Float(c) }
        let points = mesh(width: w, height: h)
        // A: rotate 0.1 rad about (40, 30), scale 0.9, shift (3, -2).
        let center = SIMD2<Float>(40, 30)
        let angle: Float = 0.1
        let scale: Float = 0.9
        let shift = SIMD2<Float>(3, -2)
        func forward(_ p: SIMD2<Float>) -> SIMD2<Float> {
            let d = p - center
            return center + shift + scale
                * SIMD2(cos(angle) * d.x - sin(angle) * d.y, sin(angle) * d.x + cos(angle) * d.y)
        }
        func inverse(_ q: SIMD2<Float>) -> SIMD2<Float> {
            let d = (q - center - shift) / scale
            return center + SIMD2(cos(-angle) * d.x - sin(-angle) * d.y, sin(-angle) * d.x + cos(-angle) * d.y)
        }
        let warp = PiecewiseAffineWarp(triangles: DelaunayTriangulation(points: points).triangles)
        let out = warp.warp(image, from: points, to: points.map(forward))
        var checked = 0
        var worst: Float = 0
        for y in 0..<h {
            for x in 0..<w {
                let s = inverse(SIMD2(Float(x), Float(y)))
                // Only pixels whose source lies well inside the image (no edge clamping).
                guard s.x > 2, s.y > 2, s.x < Float(w - 3), s.y < Float(h - 3) else { continue }
                for c in 0..<3 {
                    let expected = 0.1 + 0.008 * s.x + 0.005 * s.y + 0.1 * Float(c)
                    worst = max(worst, abs(out.pixels[(c * h + y) * w + x] - expected))
                }
                checked += 1
            }
        }
        #expect(checked > w * h / 2)
        #expect(worst < 1e-4)
    }

    /// Warping in two bands of rows (as large frames are, on two threads) gives the same pixels as one pass.
    @Test func rowBandsMatchOnePass() {
        let (w, h) = (64, 48)
        let image = pattern(width: w, height: h) { x, y, c in 0.5 + 0.4 * sin(0.2 * x - 0.3 * y + Float(c)) }
        let points = mesh(width: w, height: h)
        let moved = points.enumerated().map { i, p in i < 4 ? p : p + SIMD2(Float(i % 3) - 1, Float(i % 5) - 2) }
        let warp = PiecewiseAffineWarp(triangles: DelaunayTriangulation(points: points).triangles)
        let whole = warp.warp(image, from: points, to: moved)
        var banded = RGBImage(width: w, height: h)
        image.pixels.withUnsafeBufferPointer { src in
            banded.pixels.withUnsafeMutableBufferPointer { dst in
                for rows in [0..<20, 20..<h] {
                    warp.warp(
                        source: src.baseAddress!, into: dst.baseAddress!, channels: 3, width: w, height: h,
                        from: points, to: moved, rows: rows)
                }
            }
        }
        #expect(banded == whole)
    }

    /// The polygon mask: inside, outside, feathered edge.
    /// Where two moved triangles overlap (a fold), the one drawn last shows: the drawing order decides which side of
    /// a turned face is in front.
    @Test func laterTriangleCoversAnOverlap() {
        let (w, h) = (32, 16)
        // Source: left half dark, right half bright; one triangle over each half.
        var pixels = [Float](repeating: 0, count: w * h)
        for y in 0..<h { for x in 16..<w { pixels[y * w + x] = 1 } }
        let from: [SIMD2<Float>] = [
            SIMD2(0, 0), SIMD2(14, 0), SIMD2(0, 14), SIMD2(17, 0), SIMD2(31, 0), SIMD2(17, 14),
        ]
        // Both moved onto the same place.
        let to: [SIMD2<Float>] = [
            SIMD2(8, 0), SIMD2(22, 0), SIMD2(8, 14), SIMD2(8, 0), SIMD2(22, 0), SIMD2(8, 14),
        ]
        let warp = PiecewiseAffineWarp(triangles: [SIMD3(0, 1, 2), SIMD3(3, 4, 5)])
        func value(order: [Int]) -> Float {
            var out = [Float](repeating: 0.5, count: w * h)
            pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    warp.warp(
                        source: src.baseAddress!, into: dst.baseAddress!, channels: 1, width: w, height: h,
                        from: from, to: to, order: order)
                }
            }
            return out[4 * w + 11]
        }
        #expect(value(order: [0, 1]) == 1)
        #expect(value(order: [1, 0]) == 0)
    }

    /// A head turned aside draws its face far side first and near side last (MediaPipe's z: smaller is nearer).
    @Test func turnedHeadDrawsFarToNear() {
        let landmarks = syntheticFace3D(center: SIMD2(64, 60), width: 30, height: 38, seed: 4)
        let mask = (0..<(128 * 128)).map { i -> Float in
            let d = SIMD2(Float(i % 128), Float(i / 128)) - SIMD2<Float>(64, 70)
            return (d * d).sum() < 50 * 50 ? 1 : 0
        }
        let image = RGBImage(width: 128, height: 128, pixels: [Float](repeating: 0.5, count: 3 * 128 * 128))
        let rig = PortraitRig(image: image, landmarks: landmarks, personMask: mask)
        let turn = Rotation3D(rotationVector: SIMD3(0, 0.5, 0))
        let head = HeadMotion(center: rig.face.center, turn: turn)
        let order = rig.drawingOrder(head: head)
        #expect(order.count == rig.warp.triangles.count)
        // Depth of each all-landmark triangle as turned; drawn order must not go from near back to far.
        func depth(_ t: SIMD3<Int32>) -> Float? {
            let ids = [Int(t.x), Int(t.y), Int(t.z)]
            guard ids.allSatisfy({ $0 < landmarks.count }) else { return nil }
            return ids.map { i -> Float in
                let d = SIMD2(landmarks[i].x, landmarks[i].y) - head.center
                return turn.apply(SIMD3(d.x, d.y, landmarks[i].z - head.centerDepth)).z
            }.reduce(0, +) / 3
        }
        let depths = order.compactMap { depth(rig.warp.triangles[$0]) }
        #expect(depths.count > 100)
        #expect(zip(depths, depths.dropFirst()).allSatisfy { $0 >= $1 - 1e-4 })
        // The still background's triangles come first.
        #expect(depth(rig.warp.triangles[order[0]]) == nil)
    }

    @Test func polygonMaskFeathers() {
        let square: [SIMD2<Float>] = [SIMD2(0, 0), SIMD2(10, 0), SIMD2(10, 10), SIMD2(0, 10)]
        #expect(PolygonMask.alpha(square, SIMD2(5, 5), feather: 2) == 1)
        #expect(PolygonMask.alpha(square, SIMD2(11, 5), feather: 2) == 0)
        #expect(abs(PolygonMask.alpha(square, SIMD2(1, 5), feather: 2) - 0.5) < 1e-6)
    }

    /// Colour matching moves a region's mean and deviation to the target's.
    @Test func colorTransferMatchesStatistics() {
        let source = ColorStatistics(mean: SIMD3(0.2, 0.3, 0.4), deviation: SIMD3(0.1, 0.1, 0.1))
        let target = ColorStatistics(mean: SIMD3(0.5, 0.5, 0.5), deviation: SIMD3(0.15, 0.05, 0.1))
        let moved = source.transfer(SIMD3(0.3, 0.4, 0.5), to: target)
        #expect(abs(moved.x - 0.65) < 1e-5 && abs(moved.y - 0.55) < 1e-5 && abs(moved.z - 0.6) < 1e-5)
    }
}
