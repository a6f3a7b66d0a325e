/// A similarity motion of the head in the output image: points `p` of the portrait at rest move to
/// `center + translation + scale · R(rotation) · (p − center)`.
public struct HeadMotion: Sendable, Equatable {
    /// The centre the motion rotates and scales about (the portrait's face centre).
    public var center: SIMD2<Float>
    public var translation: SIMD2<Float>
    /// Radians, counter-clockwise in image coordinates (y down: clockwise on screen).
    public var rotation: Float
    public var scale: Float

    public init(center: SIMD2<Float>, translation: SIMD2<Float> = .zero, rotation: Float = 0, scale: Float = 1) {
        self.center = center
        self.translation = translation
        self.rotation = rotation
        self.scale = scale
    }

    /// No motion.
    public static func identity(center: SIMD2<Float>) -> HeadMotion { HeadMotion(center: center) }

    /// `point` moved.
    public func apply(_ point: SIMD2<Float>) -> SIMD2<Float> {
        center + translation + scale * rotate(point - center, by: rotation)
    }

    /// A fraction `weight` of this motion (0: none, 1: all), for points that follow the head partly (shoulders).
    public func scaled(by weight: Float) -> HeadMotion {
        HeadMotion(center: center, translation: translation * weight, rotation: rotation * weight, scale: 1 + (scale - 1) * weight)
    }
}

@inline(__always)
func rotate(_ v: SIMD2<Float>, by angle: Float) -> SIMD2<Float> {
    let c = cos(angle), s = sin(angle)
    return SIMD2(c * v.x - s * v.y, s * v.x + c * v.y)
}

#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif
