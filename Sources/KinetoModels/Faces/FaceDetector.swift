import Foundation
import KinetoEngine

/// MediaPipe's BlazeFace short-range detector (`face_detection_short_range.tflite`) on the engine, with MediaPipe's
/// SSD anchors, box decoding, sigmoid scores and weighted non-maximum suppression.
///
/// Input: 1×3×128×128 NCHW in [-1, 1] (TFLite's 1×128×128×3), a square (letterboxed) image.
public final class FaceDetector: @unchecked Sendable {
    public let executor: TFLiteGraphExecutor
    /// 896 anchor centres (x, y) in the unit square: 16×16 cells × 2 (stride 8), then 8×8 cells × 6 (stride 16).
    public static let anchors: [(x: Float, y: Float)] = {
        var result: [(x: Float, y: Float)] = []
        for (cells, perCell) in [(16, 2), (8, 6)] {
            for row in 0..<cells {
                for col in 0..<cells {
                    let anchor = ((Float(col) + 0.5) / Float(cells), (Float(row) + 0.5) / Float(cells))
                    result += Array(repeating: anchor, count: perCell)
                }
            }
        }
        return result
    }()
    /// MediaPipe's graph settings: input size the regressors are scaled by, score clipping, thresholds.
    public static let inputSize: Float = 128
    public static let scoreClip: Float = 100
    public var minScore: Float = 0.5
    public var suppressionOverlap: Float = 0.3

    public init(contentsOf url: URL) throws {
        executor = try TFLiteGraphExecutor(contentsOf: url)
    }

    /// Loads the installed model.
    public convenience init(modelDirectory: URL? = nil) throws {
        try self.init(contentsOf: try MediaPipeModel.faceDetectionShortRange.installedFile(in: modelDirectory))
    }

    /// Raw outputs: regressors (896 × 16 values) and classificator logits (896).
    public func raw(_ input: Tensor) throws -> (regressors: [Float], classificators: [Float]) {
        let outputs = try executor.run([input])
        return (outputs[0].toArray(), outputs[1].toArray())
    }

    /// Decodes anchor `index`: centre offset and size are in input pixels, relative to the anchor centre.
    public static func decode(_ regressors: [Float], _ classificators: [Float], index i: Int) -> FaceDetection {
        let r = Array(regressors[(i * 16)..<(i * 16 + 16)])
        let anchor = anchors[i]
        let logit = min(max(classificators[i], -scoreClip), scoreClip)
        let keypoints = (0..<6).map { k in
            (x: r[4 + 2 * k] / inputSize + anchor.x, y: r[5 + 2 * k] / inputSize + anchor.y)
        }
        return FaceDetection(
            centerX: r[0] / inputSize + anchor.x, centerY: r[1] / inputSize + anchor.y,
            width: r[2] / inputSize, height: r[3] / inputSize, score: 1 / (1 + exp(-logit)), keypoints: keypoints)
    }

    /// The highest-scoring anchor's box, whatever its score.
    public static func bestBox(_ regressors: [Float], _ classificators: [Float]) -> FaceDetection {
        let best = classificators.indices.max { classificators[$0] < classificators[$1] } ?? 0
        return decode(regressors, classificators, index: best)
    }

    /// Faces scoring at least `minScore`, merged by MediaPipe's weighted non-maximum suppression (boxes overlapping
    /// the best by more than `suppressionOverlap` are averaged, weighted by score), best first.
    public func detect(_ input: Tensor) throws -> [FaceDetection] {
        let (regressors, classificators) = try raw(input)
        var candidates = classificators.indices.map { Self.decode(regressors, classificators, index: $0) }
            .filter { $0.score >= minScore }.sorted { $0.score > $1.score }
        var faces: [FaceDetection] = []
        while let top = candidates.first {
            let group = candidates.filter { top.overlap($0) > suppressionOverlap }
            candidates.removeAll { top.overlap($0) > suppressionOverlap }
            if group.isEmpty {
                candidates.removeFirst()
                faces.append(top)
                continue
            }
            let total = group.reduce(0) { $0 + $1.score }
            var merged = top
            merged.centerX = group.reduce(0) { $0 + $1.centerX * $1.score } / total
            merged.centerY = group.reduce(0) { $0 + $1.centerY * $1.score } / total
            merged.width = group.reduce(0) { $0 + $1.width * $1.score } / total
            merged.height = group.reduce(0) { $0 + $1.height * $1.score } / total
            merged.keypointValues = top.keypointValues.indices.map { k in
                group.reduce(0) { $0 + $1.keypointValues[k] * $1.score } / total
            }
            faces.append(merged)
        }
        return faces
    }
}
