#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif

/// A face's landmarks in its own normalized frame: centred on the rigid points' centroid and divided by their
/// RMS radius, so faces of any size and position compare directly.
public struct NormalizedFace: Sendable {
    /// Centroid of the rigid points, in image pixels.
    public let center: SIMD2<Float>
    /// RMS distance of the rigid points from `center`, in image pixels.
    public let size: Float
    /// Every landmark as `(p − center) / size`.
    public let points: [SIMD2<Float>]

    /// Normalizes `landmarks` (468 points; only x and y are used) with the head-pose points `rigid`.
    public init(_ landmarks: [SIMD2<Float>], rigid: [Int] = FaceMeshRegions.rigid) {
        var c = SIMD2<Float>.zero
        for i in rigid { c += landmarks[i] }
        c /= Float(rigid.count)
        var sum: Float = 0
        for i in rigid {
            let d = landmarks[i] - c
            sum += (d * d).sum()
        }
        let size = max(sqrt(sum / Float(rigid.count)), 1e-6)
        center = c
        self.size = size
        points = landmarks.map { ($0 - c) / size }
    }

    /// The rotation (radians) that best turns this face's `indices` points onto `other`'s (least squares,
    /// Procrustes in 2D).
    public func rotation(onto other: NormalizedFace, indices: [Int] = FaceMeshRegions.rigid) -> Float {
        var dot: Float = 0
        var cross: Float = 0
        for i in indices {
            let a = points[i]
            let b = other.points[i]
            dot += a.x * b.x + a.y * b.y
            cross += a.x * b.y - a.y * b.x
        }
        return atan2(cross, dot)
    }

    /// RMS distance between this face's `indices` points and `other`'s, after rotating `other` onto this face
    /// (both already centred and scaled): a shape difference independent of pose, in face-size units.
    public func shapeDistance(to other: NormalizedFace, indices: [Int] = FaceMeshRegions.identity) -> Float {
        let angle = other.rotation(onto: self, indices: indices)
        var sum: Float = 0
        for i in indices {
            let d = points[i] - rotate(other.points[i], by: angle)
            sum += (d * d).sum()
        }
        return sqrt(sum / Float(indices.count))
    }

    /// How far the mouth is open: the mean gap between the inner lips, in face-size units.
    public var mouthOpening: Float {
        var sum: Float = 0
        for (upper, lower) in FaceMeshRegions.mouthGaps {
            let d = points[lower] - points[upper]
            sum += sqrt((d * d).sum())
        }
        return sum / Float(FaceMeshRegions.mouthGaps.count)
    }
}

extension NormalizedFace {
    /// Shape difference of two faces with depth, independent of pose: both centred and scaled on their rigid points
    /// in 3D, `b` turned onto `a` (3D rotation fitted on `indices`), then the RMS distance over `indices`, in
    /// face-size units. A head turn leaves it unchanged; different proportions do not.
    public static func shapeDistance3D(
        _ a: [SIMD3<Float>], _ b: [SIMD3<Float>], indices: [Int] = FaceMeshRegions.identity
    ) -> Float {
        let fa = LandmarkRetargeter.Face3D(a)
        let fb = LandmarkRetargeter.Face3D(b)
        let pa = indices.map { fa.points[$0] }
        let pb = indices.map { fb.points[$0] }
        let turn = Rotation3D.fit(from: pb, to: pa)
        var sum: Float = 0
        for (p, q) in zip(pa, pb) {
            let d = p - turn.apply(q)
            sum += (d * d).sum()
        }
        return (sum / Float(indices.count)).squareRoot()
    }
}
