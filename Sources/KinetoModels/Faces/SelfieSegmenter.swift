import Foundation
import KinetoEngine

/// MediaPipe's selfie segmentation (`selfie_segmentation.tflite`, general 256×256 model).
///
/// Input: 1×3×256×256 NCHW in [0, 1]. Output: 1×1×256×256 person probability.
public final class SelfieSegmenter: @unchecked Sendable {
    public let executor: TFLiteGraphExecutor
    public static let inputSize = 256

    public init(contentsOf url: URL) throws {
        executor = try TFLiteGraphExecutor(contentsOf: url)
    }

    public convenience init(modelDirectory: URL? = nil) throws {
        try self.init(contentsOf: try MediaPipeModel.selfieSegmentation.installedFile(in: modelDirectory))
    }

    /// The person mask, 1×1×256×256.
    public func mask(_ input: Tensor) throws -> Tensor {
        try executor.run([input])[0]
    }
}
