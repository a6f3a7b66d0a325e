import Foundation
import KinetoPortrait

/// A deterministic 468-point "face" for retargeting tests: points spread over an ellipse (x radius `width`, y radius
/// `height`) around `center`, with a little fixed irregularity so no two shapes are alike.
func syntheticFace(center: SIMD2<Float>, width: Float, height: Float, seed: UInt64) -> [SIMD2<Float>] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    func next() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24)
    }
    return (0..<FaceMeshRegions.count).map { i in
        let angle = Float(i) * 2.399963  // golden angle: an even spread
        let radius = (Float(i) + 0.5) / Float(FaceMeshRegions.count)
        let r = radius.squareRoot() * (0.9 + 0.2 * next())
        return center + SIMD2(width * r * cos(angle), height * r * sin(angle))
    }
}

/// `points` rotated by `angle` about `center`.
func rotated(_ points: [SIMD2<Float>], by angle: Float, about center: SIMD2<Float>) -> [SIMD2<Float>] {
    points.map { p in
        let d = p - center
        return center + SIMD2(cos(angle) * d.x - sin(angle) * d.y, sin(angle) * d.x + cos(angle) * d.y)
    }
}

func maxDistance(_ a: [SIMD2<Float>], _ b: [SIMD2<Float>]) -> Float {
    zip(a, b).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() }.max() ?? 0
}

/// `syntheticFace` with depth: a dome (the face's centre nearest the camera, negative z as MediaPipe's).
func syntheticFace3D(center: SIMD2<Float>, width: Float, height: Float, seed: UInt64) -> [SIMD3<Float>] {
    syntheticFace(center: center, width: width, height: height, seed: seed).map { p in
        let d = (p - center) / SIMD2(width, height)
        return SIMD3(p.x, p.y, -0.6 * width * (1 - min(1, (d * d).sum())))
    }
}

/// `points` turned by `angle` about the vertical (y) axis through `center`: a head turning left or right.
func turned(_ points: [SIMD3<Float>], by angle: Float, about center: SIMD3<Float>) -> [SIMD3<Float>] {
    points.map { p in
        let d = p - center
        return center + SIMD3(cos(angle) * d.x + sin(angle) * d.z, d.y, -sin(angle) * d.x + cos(angle) * d.z)
    }
}
