#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// The sketch stage: the driving face's motion, measured against a reference driving frame, carried onto the
/// portrait's landmarks.
///
/// Head pose is a similarity (rotation, scale, shift) fitted on the rigid points; expression is what remains: each
/// landmark's displacement in the normalized, de-rotated face frame. In `.relative` mode the displacement since the
/// reference frame is added to the portrait's own normalized shape, so the portrait keeps its proportions (identity);
/// in `.absolute` mode the driver's shape replaces it. Shifts and scale changes are measured in face sizes, so a
/// driver twice the portrait's size moves it by half as many pixels.
public struct LandmarkRetargeter: Sendable {
    public let mode: RetargetMode
    /// The portrait's landmarks in output pixels, and normalized.
    public let portrait: [SIMD2<Float>]
    public let portraitFace: NormalizedFace
    /// The reference driving frame's landmarks, normalized (driving pixels).
    public let referenceFace: NormalizedFace
    /// Rotation from the reference driving face onto the portrait's face (expression displacements are turned by it).
    public let referenceToPortrait: Float

    /// The portrait's landmarks (output image pixels) and the reference driving frame's (driving image pixels).
    public init(portrait: [SIMD2<Float>], reference: [SIMD2<Float>], mode: RetargetMode = .relative) {
        self.mode = mode
        self.portrait = portrait
        portraitFace = NormalizedFace(portrait)
        referenceFace = NormalizedFace(reference)
        referenceToPortrait = referenceFace.rotation(onto: portraitFace)
    }

    /// The portrait's landmarks posed and shaped as `driving` (468 points in driving pixels), and the head motion
    /// (for points around the face that follow the head).
    public func retarget(_ driving: [SIMD2<Float>]) -> (landmarks: [SIMD2<Float>], head: HeadMotion) {
        let current = NormalizedFace(driving)
        let p = portraitFace, r = referenceFace
        let scale = current.size / r.size
        // Shifts keep their direction on screen, measured in face sizes.
        let translation = (current.center - r.center) * (p.size / r.size)
        var out = [SIMD2<Float>](repeating: .zero, count: portrait.count)
        switch mode {
        case .relative:
            // Rotation of the driver since the reference frame.
            let angle = r.rotation(onto: current)
            let head = HeadMotion(center: p.center, translation: translation, rotation: angle, scale: scale)
            for i in out.indices {
                // Expression: displacement in the de-rotated driving frame, turned into the portrait's orientation.
                let expression = rotate(rotate(current.points[i], by: -angle) - r.points[i], by: referenceToPortrait)
                out[i] = p.center + translation + (p.size * scale) * rotate(p.points[i] + expression, by: angle)
            }
            return (out, head)
        case .absolute:
            // The driver's own shape and head angle, at the portrait's place and size.
            let angle = p.rotation(onto: current)
            let head = HeadMotion(center: p.center, translation: translation, rotation: angle, scale: scale)
            for i in out.indices {
                out[i] = p.center + translation + (p.size * scale) * current.points[i]
            }
            return (out, head)
        }
    }
}
