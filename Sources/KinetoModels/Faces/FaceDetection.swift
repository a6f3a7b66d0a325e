/// A face found by the short-range detector: box centre and size in the detector input's unit square, score in [0, 1].
public struct FaceDetection: Sendable, Equatable {
    public var centerX, centerY, width, height: Float
    public var score: Float
    /// Six key points (right eye, left eye, nose tip, mouth, right ear tragion, left ear tragion) in the unit square.
    public var keypoints: [(x: Float, y: Float)] {
        get {
            zip(stride(from: 0, to: keypointValues.count, by: 2), stride(from: 1, to: keypointValues.count, by: 2)).map
            { (keypointValues[$0], keypointValues[$1]) }
        }
        set { keypointValues = newValue.flatMap { [$0.x, $0.y] } }
    }
    var keypointValues: [Float]

    public init(
        centerX: Float, centerY: Float, width: Float, height: Float, score: Float,
        keypoints: [(x: Float, y: Float)] = []
    ) {
        self.centerX = centerX
        self.centerY = centerY
        self.width = width
        self.height = height
        self.score = score
        keypointValues = keypoints.flatMap { [$0.x, $0.y] }
    }

    /// Intersection over union of the two boxes.
    public func overlap(_ other: FaceDetection) -> Float {
        let x0 = max(centerX - width / 2, other.centerX - other.width / 2)
        let x1 = min(centerX + width / 2, other.centerX + other.width / 2)
        let y0 = max(centerY - height / 2, other.centerY - other.height / 2)
        let y1 = min(centerY + height / 2, other.centerY + other.height / 2)
        let intersection = max(x1 - x0, 0) * max(y1 - y0, 0)
        let union = width * height + other.width * other.height - intersection
        return union > 0 ? intersection / union : 0
    }
}
