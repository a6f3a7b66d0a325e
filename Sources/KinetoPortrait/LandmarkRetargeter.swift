#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif

/// The sketch stage: the driving face's motion, measured against a reference driving frame, carried onto the
/// portrait's landmarks.
///
/// Head pose is a 3D rotation plus scale and shift, fitted on the rigid points using the landmarks' depth (z), so a
/// turning or nodding driver turns the portrait's own 3D landmarks instead of squashing its face. Expression is
/// what remains: each landmark's displacement in the normalized, de-rotated face frame, less a new shot's linear
/// stretch when the caller measured one (`stretch(_:)`, `DriverNormalizer`: another lens, distance or photo of the
/// driver is not an expression, and added to the portrait it would reshape its face). In `.relative` mode the
/// displacement since the reference frame is added to the portrait's own normalized shape, so the portrait keeps
/// its proportions (identity); in `.absolute` mode the driver's (2D) shape replaces it. Shifts and scale changes
/// are measured in face sizes, so a driver twice the portrait's size moves it by half as many pixels.
public struct LandmarkRetargeter: Sendable {
    /// Landmarks centred on the rigid points' centroid and divided by their RMS radius, in 3D.
    struct Face3D: Sendable {
        let center: SIMD3<Float>
        let size: Float
        let points: [SIMD3<Float>]

        init(_ landmarks: [SIMD3<Float>]) {
            var c = SIMD3<Float>.zero
            for i in FaceMeshRegions.rigid { c += landmarks[i] }
            c /= Float(FaceMeshRegions.rigid.count)
            var sum: Float = 0
            for i in FaceMeshRegions.rigid {
                let d = landmarks[i] - c
                sum += (d * d).sum()
            }
            center = c
            size = max((sum / Float(FaceMeshRegions.rigid.count)).squareRoot(), 1e-6)
            let scale = 1 / size
            points = landmarks.map { ($0 - c) * scale }
        }

        var rigidPoints: [SIMD3<Float>] { FaceMeshRegions.rigid.map { points[$0] } }
    }

    public let mode: RetargetMode
    /// The portrait's landmarks in output pixels (x, y; z relative depth in the same scale).
    public let portrait: [SIMD3<Float>]
    let portraitFace: Face3D
    let referenceFace: Face3D
    let portrait2D: NormalizedFace
    /// Rotation from the reference driving face onto the portrait's face (expression displacements are turned by it).
    let referenceToPortrait: Rotation3D

    /// The portrait's landmarks (output image pixels) and the reference driving frame's (driving image pixels);
    /// 468 points each, with depth.
    public init(portrait: [SIMD3<Float>], reference: [SIMD3<Float>], mode: RetargetMode = .relative) {
        self.mode = mode
        self.portrait = portrait
        portraitFace = Face3D(portrait)
        referenceFace = Face3D(reference)
        portrait2D = NormalizedFace(portrait.map { SIMD2($0.x, $0.y) })
        referenceToPortrait = Rotation3D.fit(from: referenceFace.rigidPoints, to: portraitFace.rigidPoints)
    }

    /// The same for landmarks without depth (all in the image plane).
    public init(portrait: [SIMD2<Float>], reference: [SIMD2<Float>], mode: RetargetMode = .relative) {
        self.init(
            portrait: portrait.map { SIMD3($0.x, $0.y, 0) }, reference: reference.map { SIMD3($0.x, $0.y, 0) },
            mode: mode)
    }

    /// The driver's change since the reference frame, split into head pose and expression (relative mode).
    public struct Motion: Sendable {
        /// Head rotation since the reference frame (camera axes).
        public var turn: Rotation3D
        /// Face size relative to the reference frame's.
        public var scale: Float
        /// Shift of the face centre since the reference frame, in portrait output pixels (driver shift in driver face
        /// sizes times the portrait's face size).
        public var translation: SIMD2<Float>
        /// Each landmark's displacement in the de-rotated, normalized face, turned into the portrait's face frame.
        public var expression: [SIMD3<Float>]

        /// No change: the portrait at rest.
        public static func rest(count: Int) -> Motion {
            Motion(turn: .identity, scale: 1, translation: .zero, expression: Array(repeating: .zero, count: count))
        }
    }

    /// The linear stretch left between `driving` and the reference frame once the head's turn is removed, as the map
    /// that takes the driving face's de-rotated rigid points back onto the reference's: a new shot's lens, distance or
    /// depth reading, which `motion(_:unstretch:)` removes so it is not carried over as expression.
    public func stretch(_ driving: [SIMD3<Float>]) -> LinearMap3D {
        let current = Face3D(driving)
        let back = Rotation3D.fit(from: referenceFace.rigidPoints, to: current.rigidPoints).transposed
        return LinearMap3D.fit(from: current.rigidPoints.map { back.apply($0) }, to: referenceFace.rigidPoints)
    }

    /// The driving face's pose and expression relative to the reference frame (relative mode's measurement);
    /// `unstretch` (see `stretch(_:)`) is applied to the de-rotated face before its displacements are taken.
    public func motion(_ driving: [SIMD3<Float>], unstretch: LinearMap3D = .identity) -> Motion {
        let current = Face3D(driving)
        let p = portraitFace
        let r = referenceFace
        let shift = (current.center - r.center) * (p.size / r.size)
        let turn = Rotation3D.fit(from: r.rigidPoints, to: current.rigidPoints)
        let back = turn.transposed
        var expression = (0..<portrait.count).map {
            referenceToPortrait.apply(unstretch.apply(back.apply(current.points[$0])) - r.points[$0])
        }
        // Along the face outline the landmark model's points slide from frame to frame (and between different
        // photos of one face); smoothing along the loop keeps the silhouette from turning jagged.
        let oval = FaceMeshRegions.faceOval
        for _ in 0..<2 {
            let previous = oval.map { expression[$0] }
            for k in oval.indices {
                let a = previous[(k + oval.count - 1) % oval.count]
                let b = previous[k]
                let c = previous[(k + 1) % oval.count]
                expression[oval[k]] = 0.25 * a + 0.5 * b + 0.25 * c
            }
        }
        return Motion(
            turn: turn, scale: current.size / r.size, translation: SIMD2(shift.x, shift.y), expression: expression)
    }

    /// The portrait's landmarks (output pixels) moved by `motion`, and the head motion in the image plane.
    public func apply(_ motion: Motion) -> (landmarks: [SIMD2<Float>], head: HeadMotion) {
        let p = portraitFace
        let center = SIMD2(p.center.x, p.center.y)
        let head = HeadMotion(
            center: center, centerDepth: p.center.z, translation: motion.translation, turn: motion.turn,
            scale: motion.scale)
        let gain = p.size * motion.scale
        var out = [SIMD2<Float>](repeating: .zero, count: portrait.count)
        for i in out.indices {
            let q = motion.turn.apply(p.points[i] + motion.expression[i])
            out[i] = center + motion.translation + gain * SIMD2(q.x, q.y)
        }
        return (out, head)
    }

    /// The portrait's landmarks (output pixels) posed and shaped as `driving` (468 points in driving pixels), and
    /// the head motion in the image plane (for points around the face that follow the head).
    public func retarget(_ driving: [SIMD3<Float>]) -> (landmarks: [SIMD2<Float>], head: HeadMotion) {
        switch mode {
        case .relative:
            return apply(motion(driving))
        case .absolute:
            let current = Face3D(driving)
            let r = referenceFace
            let scale = current.size / r.size
            let shift = (current.center - r.center) * (portraitFace.size / r.size)
            let translation = SIMD2(shift.x, shift.y)
            // The driver's own shape and head angle (in the image), at the portrait's place and size.
            let current2D = NormalizedFace(driving.map { SIMD2($0.x, $0.y) })
            let angle = portrait2D.rotation(onto: current2D)
            let head = HeadMotion(center: portrait2D.center, translation: translation, rotation: angle, scale: scale)
            let gain = portrait2D.size * scale
            var out = [SIMD2<Float>](repeating: .zero, count: portrait.count)
            for i in out.indices {
                out[i] = portrait2D.center + translation + gain * current2D.points[i]
            }
            return (out, head)
        }
    }

    /// The same for driving landmarks without depth.
    public func retarget(_ driving: [SIMD2<Float>]) -> (landmarks: [SIMD2<Float>], head: HeadMotion) {
        retarget(driving.map { SIMD3($0.x, $0.y, 0) })
    }
}
