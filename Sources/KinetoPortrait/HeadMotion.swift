#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif

/// The head's motion in the output image: a point `p` of the portrait at rest, at depth `z`, moves to
/// `center + translation + scale · (turn · (p − center, z − centerDepth)).xy` (orthographic projection).
public struct HeadMotion: Sendable, Equatable {
    /// The centre the motion turns and scales about (the portrait's face centre), and its depth.
    public var center: SIMD2<Float>
    public var centerDepth: Float
    public var translation: SIMD2<Float>
    /// The 3D rotation (camera axes: x right, y down, z away from the camera).
    public var turn: Rotation3D
    public var scale: Float

    public init(
        center: SIMD2<Float>, centerDepth: Float = 0, translation: SIMD2<Float> = .zero, turn: Rotation3D = .identity,
        scale: Float = 1
    ) {
        self.center = center
        self.centerDepth = centerDepth
        self.translation = translation
        self.turn = turn
        self.scale = scale
    }

    /// A motion within the image plane: `rotation` radians (counter-clockwise in image coordinates, y down).
    public init(center: SIMD2<Float>, translation: SIMD2<Float> = .zero, rotation: Float, scale: Float = 1) {
        self.init(center: center, translation: translation, turn: Rotation3D(aboutZ: rotation), scale: scale)
    }

    /// No motion.
    public static func identity(center: SIMD2<Float>) -> HeadMotion { HeadMotion(center: center) }

    /// The turn within the image plane, radians.
    public var rotation: Float { turn.inPlaneAngle }

    /// `point` (at the centre's depth unless `depth` is given) moved.
    public func apply(_ point: SIMD2<Float>, depth: Float? = nil) -> SIMD2<Float> {
        let d = point - center
        let v = turn.apply(SIMD3(d.x, d.y, (depth ?? centerDepth) - centerDepth))
        return center + translation + scale * SIMD2(v.x, v.y)
    }
}

@inline(__always)
func rotate(_ v: SIMD2<Float>, by angle: Float) -> SIMD2<Float> {
    let c = cos(angle)
    let s = sin(angle)
    return SIMD2(c * v.x - s * v.y, s * v.x + c * v.y)
}
