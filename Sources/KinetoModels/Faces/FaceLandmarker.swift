import Foundation
import KinetoEngine

/// MediaPipe's face mesh (`face_landmark.tflite`): 468 landmarks from a 192×192 face crop.
///
/// Input: 1×3×192×192 NCHW in [0, 1] (TFLite's 1×192×192×3). Output: x, y in crop pixels, z (relative depth, same
/// scale), and the face flag logit (sigmoid > 0.5: a face is present).
public final class FaceLandmarker: @unchecked Sendable {
    public let executor: TFLiteGraphExecutor
    public static let inputSize = 192

    public init(contentsOf url: URL) throws {
        executor = try TFLiteGraphExecutor(contentsOf: url)
    }

    public convenience init(modelDirectory: URL? = nil) throws {
        try self.init(contentsOf: try MediaPipeModel.faceLandmark.installedFile(in: modelDirectory))
    }

    /// 1404 values (468 × x, y, z) and the face flag logit.
    public func landmarks(_ input: Tensor) throws -> (points: [Float], faceFlag: Float) {
        let outputs = try executor.run([input])
        return (outputs[0].toArray(), outputs[1].toArray()[0])
    }
}
