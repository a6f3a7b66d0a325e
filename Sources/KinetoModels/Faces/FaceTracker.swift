import Foundation
import KinetoEngine
import KinetoMedia

/// Face landmarks in an image, in image pixels.
public struct TrackedFace: Sendable {
    /// 468 points (x, y in image pixels, z in the same scale, relative depth).
    public var landmarks: [SIMD3<Float>]
    /// Probability that the crop holds a face (sigmoid of the landmark model's flag).
    public var presence: Float
    /// The square crop the landmarks came from: centre and side in image pixels.
    public var crop: (centerX: Float, centerY: Float, side: Float)
    /// Whether this frame ran the detector (first frame, or the face was lost).
    public var detected: Bool
}

/// Follows one face through frames as MediaPipe's face mesh graph does: the detector finds the face, the landmark
/// model refines it, the next frame's crop comes from the landmarks; the detector runs again when the landmark
/// model's face flag drops below `minPresence`. Landmarks are smoothed with one-euro filters over frame times.
public final class FaceTracker: @unchecked Sendable {
    public let detector: FaceDetector
    public let landmarker: FaceLandmarker
    /// Face flag probability below which the face counts as lost.
    public var minPresence: Float = 0.5
    /// Crop side relative to the detector's box (as the golden references crop) and to the landmarks' extent.
    public var detectionCropScale: Float = 1.5
    public var landmarkCropScale: Float = 1.5
    public var smoothing = true
    /// Search overlapping windows when the whole picture shows no face (for still portraits; costs a few detector
    /// runs, so video frames without a face do not).
    public var searchWindows = false
    private var crop: (centerX: Float, centerY: Float, side: Float)?
    /// The tilt of the tracked face in the image (radians, from the eyes): the next crop is turned by it, so the
    /// landmark model sees the face upright as it was trained to (MediaPipe's graph does the same). On tilted crops
    /// it reads an open mouth as closing: the head's motion leaked into the expression.
    private var cropAngle: Float = 0
    private var filters: [OneEuroFilter] = []
    /// How many faces of at least 0.4× the largest's size the detector found the last time it ran (the largest is
    /// followed).
    public private(set) var facesAtLastDetection = 0

    public init(detector: FaceDetector, landmarker: FaceLandmarker) {
        self.detector = detector
        self.landmarker = landmarker
    }

    /// Loads the installed models.
    public convenience init(modelDirectory: URL? = nil) throws {
        try self.init(
            detector: FaceDetector(modelDirectory: modelDirectory),
            landmarker: FaceLandmarker(modelDirectory: modelDirectory))
    }

    /// Forgets the tracked face: the next frame runs the detector.
    public func reset() {
        crop = nil
        cropAngle = 0
        filters = []
    }

    /// The face in `image` at `time` seconds, or nil when there is none.
    public func track(_ image: RGBImage, at time: Double) throws -> TrackedFace? {
        var detected = false
        if crop == nil {
            guard let found = try detect(image) else { return nil }
            crop = found
            cropAngle = 0
            detected = true
        }
        guard var face = try landmarks(image, crop: crop!, angle: cropAngle) else { return nil }
        if face.presence < minPresence {
            reset()
            guard !detected, let found = try detect(image) else { return nil }
            crop = found
            detected = true
            guard let again = try landmarks(image, crop: found, angle: 0), again.presence >= minPresence else {
                reset()
                return nil
            }
            face = again
        }
        face.detected = detected
        (crop, cropAngle) = Self.nextCrop(face.landmarks, scale: landmarkCropScale)
        if smoothing {
            if filters.count != face.landmarks.count * 3 {
                filters = Array(repeating: OneEuroFilter(), count: face.landmarks.count * 3)
            }
            for i in face.landmarks.indices {
                for axis in 0..<3 {
                    face.landmarks[i][axis] = Float(
                        filters[i * 3 + axis].filter(Double(face.landmarks[i][axis]), at: time))
                }
            }
        }
        return face
    }

    /// The largest detected face as a square crop in image pixels (detector on the letterboxed square image).
    func detect(_ image: RGBImage) throws -> (centerX: Float, centerY: Float, side: Float)? {
        let side = Float(max(image.width, image.height))
        let left = Float((Int(side) - image.width) / 2)
        let top = Float((Int(side) - image.height) / 2)
        var faces = try detectSquare(image, centerX: side / 2 - left, centerY: side / 2 - top, side: side)
        // The short-range detector sees the picture at 128²: in a tall full-length portrait (or a large photo) the
        // face is a few pixels there. Still pictures are searched again in overlapping squares of the shorter side
        // and of half of it.
        if faces.isEmpty && searchWindows {
            let short = Float(min(image.width, image.height))
            for window in [short, short / 2] where window >= 64 {
                let step = window / 2
                var y = window / 2
                while y <= Float(image.height) - window / 2 + 1 {
                    var x = window / 2
                    while x <= Float(image.width) - window / 2 + 1 {
                        faces += try detectSquare(image, centerX: x, centerY: y, side: window)
                        x += step
                    }
                    y += step
                }
                if !faces.isEmpty { break }
            }
            // Overlapping windows find one face several times: count centres that are far apart.
            var distinct: [(x: Float, y: Float, side: Float)] = []
            for f in faces.sorted(by: { $0.side > $1.side })
            where !distinct.contains(where: { abs($0.x - f.x) < $0.side / 2 && abs($0.y - f.y) < $0.side / 2 }) {
                distinct.append(f)
            }
            faces = distinct
        }
        guard let best = faces.max(by: { $0.side < $1.side }) else {
            facesAtLastDetection = 0
            return nil
        }
        // Faces worth mentioning: those at least 0.4× the largest (not a face in a crowd far behind, nor a stray
        // detection in one of the windows).
        facesAtLastDetection = faces.filter { $0.side >= 0.4 * best.side }.count
        return (best.x, best.y, detectionCropScale * best.side)
    }

    /// Faces the detector finds in the square (centre, side) of `image`: centres and box sides in image pixels.
    func detectSquare(_ image: RGBImage, centerX: Float, centerY: Float, side: Float) throws -> [(
        x: Float, y: Float, side: Float
    )] {
        let input = Self.sample(image, centerX: centerX, centerY: centerY, side: side, size: 128, scale: 2, shift: -1)
        return try detector.detect(input).map {
            (centerX + ($0.centerX - 0.5) * side, centerY + ($0.centerY - 0.5) * side, max($0.width, $0.height) * side)
        }
    }

    /// The next frame's crop from `landmarks`: their extent in the face's own upright frame (turned by the eyes'
    /// tilt), squared and enlarged by `scale`, and the tilt.
    static func nextCrop(_ landmarks: [SIMD3<Float>], scale: Float) -> (
        (centerX: Float, centerY: Float, side: Float), Float
    ) {
        let eyes = landmarks[263] - landmarks[33]
        let angle = atan2(eyes.y, eyes.x)
        let c = cos(angle)
        let s = sin(angle)
        var lo = SIMD2<Float>(repeating: .greatestFiniteMagnitude)
        var hi = -lo
        for p in landmarks {
            let q = SIMD2(c * p.x + s * p.y, -s * p.x + c * p.y)  // turned by −angle
            lo = pointwiseMin(lo, q)
            hi = pointwiseMax(hi, q)
        }
        let m = (lo + hi) / 2
        let center = SIMD2(c * m.x - s * m.y, s * m.x + c * m.y)
        return ((center.x, center.y, max(hi.x - lo.x, hi.y - lo.y) * scale), angle)
    }

    /// Landmarks of the square crop turned by `angle` (radians), mapped back to image pixels.
    func landmarks(_ image: RGBImage, crop: (centerX: Float, centerY: Float, side: Float), angle: Float = 0) throws
        -> TrackedFace?
    {
        let size = FaceLandmarker.inputSize
        let input = Self.sample(
            image, centerX: crop.centerX, centerY: crop.centerY, side: crop.side, size: size, scale: 1, shift: 0,
            angle: angle)
        let (points, flag) = try landmarker.landmarks(input)
        let unit = crop.side / Float(size)
        let c = cos(angle)
        let s = sin(angle)
        let half = crop.side / 2
        let landmarks = stride(from: 0, to: points.count - 2, by: 3).map { k -> SIMD3<Float> in
            let u = points[k] * unit - half
            let v = points[k + 1] * unit - half
            return SIMD3(crop.centerX + c * u - s * v, crop.centerY + s * u + c * v, points[k + 2] * unit)
        }
        return TrackedFace(landmarks: landmarks, presence: 1 / (1 + exp(-flag)), crop: crop, detected: false)
    }

    /// A `size`×`size` NCHW tensor of the square (centre, side) of `image`, bilinear, black outside, values
    /// `v · scale + shift`.
    static func sample(
        _ image: RGBImage, centerX: Float, centerY: Float, side: Float, size: Int, scale: Float, shift: Float,
        angle: Float = 0
    ) -> Tensor {
        let (w, h) = (image.width, image.height)
        let step = side / Float(size)
        let c = cos(angle)
        let s = sin(angle)
        var values = [Float](repeating: 0, count: 3 * size * size)
        image.pixels.withUnsafeBufferPointer { p in
            for v in 0..<size {
                let dv = (Float(v) + 0.5) * step - side / 2
                for u in 0..<size {
                    let du = (Float(u) + 0.5) * step - side / 2
                    let sx = centerX + c * du - s * dv - 0.5
                    let sy = centerY + s * du + c * dv - 0.5
                    let xa = Int(sx.rounded(.down))
                    let fx = sx - Float(xa)
                    let ya = Int(sy.rounded(.down))
                    let fy = sy - Float(ya)
                    for c in 0..<3 {
                        func at(_ x: Int, _ y: Int) -> Float {
                            x >= 0 && x < w && y >= 0 && y < h ? p[c * w * h + y * w + x] : 0
                        }
                        let value =
                            (at(xa, ya) * (1 - fx) + at(xa + 1, ya) * fx) * (1 - fy)
                            + (at(xa, ya + 1) * (1 - fx) + at(xa + 1, ya + 1) * fx) * fy
                        values[(c * size + v) * size + u] = value * scale + shift
                    }
                }
            }
        }
        return Tensor(shape: [1, 3, size, size], values: values)
    }
}
