import KinetoModels

#if canImport(Glibc)
    import Glibc
#else
    import Foundation
#endif

/// Turns the driving face, frame by frame, into the portrait's motion the way a camera operator would frame it:
///
/// - Pose and expression are measured relative to the driver's own face size and position (`LandmarkRetargeter`),
///   and filtered separately (one-euro filters on the head pose, others on the expression), so the head's motion is
///   never read as a change of expression and steady expressions do not jitter.
/// - A cut in the driving video (the face jumps in size or place, or the picture changes at once) re-anchors the
///   reference: the portrait continues from where it is, and turns or expressions that differ in the new shot are
///   blended in over a fraction of a second instead of jumping.
/// - Zooms and moves toward the camera change the portrait's face size at most by `maxZoom` (a soft limit).
/// - Where the face is lost, the last motion is held for `holdSeconds`, then eases back to rest; when the face
///   returns, the portrait continues from where it is.
public struct DriverNormalizer: Sendable {
    public let retargeter: LandmarkRetargeter
    /// Largest face-size change (either way) the driver may cause; nil: unlimited.
    public var maxZoom: Float?
    /// Largest turn out of the picture's plane (radians; nodding and turning aside, soft-limited like the zoom):
    /// the warp moves a flat photo, and beyond about 15° a turned face reads as another face's shape (the far side
    /// squashed, not hidden; scripts/portrait-example: shape distance to the portrait 0.076 limited to 20°, 0.072
    /// at 15°, 0.051 with no such turn at all). Turns within the picture's plane are not limited. nil: unlimited.
    public var maxTurn: Float? = 0.26
    /// A face whose size changes by more than this factor, or whose centre moves by more than `jump` face sizes,
    /// between consecutive frames counts as a cut.
    public var cutScale: Float = 1.2
    public var jump: Float = 0.35
    /// Mean absolute difference (0-1) of 16×16 grey thumbnails of consecutive frames above which the picture cut.
    public var sceneCut: Float = 0.12
    /// Expression displacements (face sizes, after filtering) about this small are mostly the landmark model's
    /// noise: each is scaled by d²/(d² + noise²), so it fades out smoothly below the level and passes above it
    /// (0.008: about 0.4 px at 512²; scripts/eval-portrait, face PSNR: expression case +0.11 dB, known background
    /// +0.03 to +0.21, talking heads +0.03; 0.003 and 0.02 gained less). 0: off.
    public var expressionNoise: Float = 0.008
    public var holdSeconds: Double = 0.5
    public var easeSeconds: Double = 0.6
    public var blendSeconds: Double = 0.3

    /// Re-anchoring: the driver's centre and size at the last cut, and the portrait's translation and scale then.
    private var anchorCenter: SIMD2<Float>
    private var anchorSize: Float
    private var offset: (translation: SIMD2<Float>, scale: Float) = (.zero, 1)
    private var previousFace: (center: SIMD2<Float>, size: Float)?
    private var previousThumbnail: [Float]?
    private var filters = PoseFilters()
    private var expressionFilters: [OneEuroFilter]
    /// The last motion put out, and when the face was last seen.
    public private(set) var last: LandmarkRetargeter.Motion
    private var lastSeen: Double?
    /// The motion when the face was lost (eased back to rest from there).
    private var held: LandmarkRetargeter.Motion?
    /// A blend from the motion before a discontinuity into the new one: from-motion and start time.
    private var blend: (from: LandmarkRetargeter.Motion, start: Double)?
    /// The current shot's stretch against the reference (`LandmarkRetargeter.stretch`), averaged over its first
    /// `blendSeconds` and removed from all of its frames: another camera, lens or photo of the same face is not
    /// expression. Within a shot the face's changes pass through, as a real turn or a move toward the camera
    /// changes them. (Removed frame by frame instead, it cost 1.2 dB of face PSNR on testMovie.mp4.)
    private var shotStretch = LinearMap3D.identity
    /// The sum and count of the stretches measured since the last cut (the landmark model's noise on one frame must
    /// not become the shot's shape).
    private var stretchSum: (LinearMap3D, Int)?
    /// How many cuts were re-anchored (for reports and tests).
    public private(set) var cuts = 0

    /// One unit of every filtered quantity: a hundredth of the face size (a shift), a turn or a log-scale change
    /// that moves a point one face size from the centre by that much. The one-euro filter's speed term (`beta`) is
    /// per unit, so all six pose values (and the expression) must share one: on radians and log scale, whose
    /// speeds are a hundred times smaller than the shifts' in pixels, the cutoff never rose and a head turning 8°
    /// lagged 0.1 s behind the driver (1.8 px at 512², scripts/eval-portrait).
    static let filterUnit: Float = 100

    struct PoseFilters {
        var values = [OneEuroFilter](repeating: OneEuroFilter(minCutoff: 1.5, beta: 0.5), count: 6)
        /// `faceSize`: the portrait's face size in pixels (the translation's unit).
        mutating func filter(_ motion: inout LandmarkRetargeter.Motion, faceSize: Float, at time: Double) {
            let v = motion.turn.rotationVector
            let t = motion.translation / faceSize
            let raw: [Float] = [v.x, v.y, v.z, log(motion.scale), t.x, t.y]
            var out = [Float](repeating: 0, count: 6)
            let unit = DriverNormalizer.filterUnit
            for k in 0..<6 { out[k] = Float(values[k].filter(Double(raw[k] * unit), at: time)) / unit }
            motion.turn = Rotation3D(rotationVector: SIMD3(out[0], out[1], out[2]))
            motion.scale = exp(out[3])
            motion.translation = SIMD2(out[4], out[5]) * faceSize
        }
    }

    /// `portrait`: its 468 landmarks (output pixels, with depth); `reference`: the first driving face (driving pixels).
    public init(portrait: [SIMD3<Float>], reference: [SIMD3<Float>], maxZoom: Float? = 1.15) {
        retargeter = LandmarkRetargeter(portrait: portrait, reference: reference, mode: .relative)
        self.maxZoom = maxZoom
        let face = LandmarkRetargeter.Face3D(reference)
        anchorCenter = SIMD2(face.center.x, face.center.y)
        anchorSize = face.size
        // Expression: calmer at rest than the pose (small landmark noise reads as a twitching mouth), quick when moving.
        expressionFilters = Array(repeating: OneEuroFilter(minCutoff: 1, beta: 0.1), count: portrait.count * 3)
        last = .rest(count: portrait.count)
    }

    /// The portrait's motion for the driving face `face` (nil: no face in this frame) at `time` seconds;
    /// `thumbnail`: the frame's `DriverNormalizer.thumbnail` (nil: no scene-cut check).
    public mutating func next(_ face: [SIMD3<Float>]?, at time: Double, thumbnail: [Float]? = nil)
        -> LandmarkRetargeter.Motion
    {
        var sceneChanged = false
        if let thumbnail {
            if let previousThumbnail, previousThumbnail.count == thumbnail.count {
                let difference =
                    zip(previousThumbnail, thumbnail).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
                    / Float(thumbnail.count)
                sceneChanged = difference > sceneCut
            }
            previousThumbnail = thumbnail
        }
        guard let face else {
            // Hold, then ease back to rest.
            if held == nil { held = last }
            let since = time - (lastSeen ?? time)
            if since > holdSeconds, let held {
                let ease = Float(min(1, (since - holdSeconds) / easeSeconds))
                last = Self.mix(held, .rest(count: held.expression.count), ease * ease * (3 - 2 * ease))
            }
            previousFace = nil
            return last
        }
        let measured3D = LandmarkRetargeter.Face3D(face)
        let center = SIMD2(measured3D.center.x, measured3D.center.y)
        let size = measured3D.size
        var discontinuity = sceneChanged
        if let previous = previousFace {
            let ratio = size / previous.size
            let moved = ((center - previous.center) * (center - previous.center)).sum().squareRoot() / previous.size
            if ratio > cutScale || ratio < 1 / cutScale || moved > jump || sceneChanged { discontinuity = true }
        } else if lastSeen != nil {
            discontinuity = true  // the face came back after being lost
        }
        if discontinuity {
            // Continue from where the portrait is: the new shot's face position and size become the reference.
            offset = (last.translation, last.scale)
            anchorCenter = center
            anchorSize = size
            blend = (last, time)
            cuts += 1
            stretchSum = (LinearMap3D(rows: (.zero, .zero, .zero)), 0)
            // The filters restart from the re-anchored motion (their history belongs to the old shot).
            filters = PoseFilters()
            for i in expressionFilters.indices { expressionFilters[i].reset() }
        }
        previousFace = (center, size)
        lastSeen = time
        held = nil

        if let (sum, count) = stretchSum, let blend, time - blend.start <= blendSeconds {
            let m = retargeter.stretch(face)
            let total = LinearMap3D(rows: (sum.rows.0 + m.rows.0, sum.rows.1 + m.rows.1, sum.rows.2 + m.rows.2))
            let n = Float(count + 1)
            stretchSum = (total, count + 1)
            shotStretch = LinearMap3D(rows: (total.rows.0 / n, total.rows.1 / n, total.rows.2 / n))
        }
        var motion = retargeter.motion(face, unstretch: shotStretch)
        // Position and size relative to the last anchor, in the portrait's pixels and on top of its offset there.
        let portraitSize = retargeter.portraitFace.size
        motion.translation = offset.translation + (center - anchorCenter) * (portraitSize / anchorSize) * offset.scale
        motion.scale = offset.scale * size / anchorSize
        filters.filter(&motion, faceSize: portraitSize, at: time)
        let unit = Self.filterUnit
        for i in motion.expression.indices {
            for axis in 0..<3 {
                motion.expression[i][axis] =
                    Float(expressionFilters[i * 3 + axis].filter(Double(motion.expression[i][axis] * unit), at: time))
                    / unit
            }
        }
        if expressionNoise > 0 {
            let n2 = expressionNoise * expressionNoise
            for i in motion.expression.indices {
                let m2 = (motion.expression[i] * motion.expression[i]).sum()
                motion.expression[i] *= m2 / (m2 + n2)
            }
        }
        if let maxZoom, maxZoom >= 1 { motion.scale = Self.softLimit(motion.scale, maxZoom) }
        if let maxTurn, maxTurn > 0 {
            let v = motion.turn.rotationVector
            let m = (v.x * v.x + v.y * v.y).squareRoot()
            if m > 1e-6 {
                let limited = log(Self.softLimit(exp(m), exp(maxTurn)))
                motion.turn = Rotation3D(rotationVector: SIMD3(v.x * limited / m, v.y * limited / m, v.z))
            }
        }
        if let blend {
            let t = Float((time - blend.start) / blendSeconds)
            if t >= 1 { self.blend = nil } else { motion = Self.mix(blend.from, motion, t * t * (3 - 2 * t)) }
        }
        last = motion
        return motion
    }

    /// `scale` limited to [1/limit, limit]: unchanged up to 60% of the limit (in log scale), then bending smoothly
    /// toward it.
    static func softLimit(_ scale: Float, _ limit: Float) -> Float {
        let l = log(limit)
        let x = log(max(scale, 1e-6))
        let knee = 0.6 * l
        guard abs(x) > knee, l > 0 else { return scale }
        let over = abs(x) - knee
        let room = l - knee
        let y = knee + room * tanh(over / room)
        return exp(x < 0 ? -y : y)
    }

    static func mix(_ a: LandmarkRetargeter.Motion, _ b: LandmarkRetargeter.Motion, _ t: Float)
        -> LandmarkRetargeter.Motion
    {
        let va = a.turn.rotationVector
        let vb = b.turn.rotationVector
        return LandmarkRetargeter.Motion(
            turn: Rotation3D(rotationVector: va + t * (vb - va)),
            scale: exp(log(a.scale) + t * (log(b.scale) - log(a.scale))),
            translation: a.translation + t * (b.translation - a.translation),
            expression: zip(a.expression, b.expression).map { $0 + t * ($1 - $0) })
    }

    /// A 16×16 grey thumbnail of planar RGB `pixels` (`width × height`), for the scene-cut check.
    public static func thumbnail(_ pixels: UnsafePointer<Float>, width: Int, height: Int) -> [Float] {
        var out = [Float](repeating: 0, count: 256)
        let plane = width * height
        for ty in 0..<16 {
            for tx in 0..<16 {
                var sum: Float = 0
                var n = 0
                let y0 = ty * height / 16
                let y1 = max(y0 + 1, (ty + 1) * height / 16)
                let x0 = tx * width / 16
                let x1 = max(x0 + 1, (tx + 1) * width / 16)
                for y in stride(from: y0, to: min(y1, height), by: 2) {
                    for x in stride(from: x0, to: min(x1, width), by: 2) {
                        let i = y * width + x
                        sum += 0.299 * pixels[i] + 0.587 * pixels[plane + i] + 0.114 * pixels[2 * plane + i]
                        n += 1
                    }
                }
                out[ty * 16 + tx] = sum / Float(max(n, 1))
            }
        }
        return out
    }
}
