import Foundation
import KinetoEngine
import KinetoModels

/// MediaPipe's three face models on Kineto's TFLite executor against the TFLite reference kernels
/// (`faces-golden.safetensors`, made by `Tests/Fixtures/golden/tools/golden_faces.py`), per photo the file holds:
/// every `P` with a `P.detect_input` tensor.
///
/// Tolerances (relative to each output's largest magnitude): raw outputs (regressors, classificators, landmarks,
/// face flag, segmentation mask) 1e-4 — float32 sums in another order than TFLite's reference kernels; the decoded
/// box 1e-4 as well. The landmark entries also note the largest error in crop pixels.
public enum FacesGoldenCheck {
    public static let tolerance: Float = 1e-4

    /// The photos of a golden file, from its tensor names: every `P` with a `P.detect_input`, sorted.
    public static func photoNames(in names: [String]) -> [String] {
        names.filter { $0.hasSuffix(".detect_input") }.map { String($0.dropLast(".detect_input".count)) }.sorted()
    }

    /// Runs the three models (from `modelDirectory`, default the installed ones) on each of `photos`' stored inputs.
    public static func run(
        tensors: GoldenTensors, photos: [String], source: String,
        modelDirectory: URL? = nil
    ) throws -> GoldenReport {
        let detector = try FaceDetector(modelDirectory: modelDirectory)
        let landmarker = try FaceLandmarker(modelDirectory: modelDirectory)
        let segmenter = try SelfieSegmenter(modelDirectory: modelDirectory)
        var report = GoldenReport(kind: "faces", source: source)
        if photos.isEmpty {
            report.entries.append(
                .failure(
                    "-", note: "no photos in \(source): expected tensors named PHOTO.detect_input, PHOTO.regressors, …")
            )
        }
        for photo in photos {
            func stored(_ name: String) throws -> Tensor {
                guard let t = try tensors.tensor("\(photo).\(name)") else {
                    throw GoldenError("\(source) has no tensor \(photo).\(name)")
                }
                return t
            }
            func compare(_ output: String, _ actual: [Float], _ expected: Tensor, note: String? = nil) {
                report.entries.append(
                    .compare(
                        photo, output: output, actual: Tensor(shape: expected.shape, values: actual),
                        expected: expected, tolerance: tolerance, note: note))
            }
            do {
                let detected = try detector.executor.run(nhwc: [try stored("detect_input").toArray()])
                let regressors = try stored("regressors")
                let classificators = try stored("classificators")
                guard detected[0].count == regressors.count, detected[1].count == classificators.count else {
                    throw GoldenError(
                        "detector outputs \(detected.map(\.count)) values, the reference \(regressors.count), \(classificators.count)"
                    )
                }
                compare("regressors", detected[0], regressors)
                compare("classificators", detected[1], classificators)
                let box = FaceDetector.bestBox(detected[0], detected[1])
                compare(
                    "detect_box", [box.centerX, box.centerY, box.width, box.height, box.score], try stored("detect_box")
                )

                let landmarked = try landmarker.executor.run(nhwc: [try stored("landmark_input").toArray()])
                let landmarks = try stored("landmarks")
                let flag = try stored("face_flag")
                guard landmarked[0].count == landmarks.count else {
                    throw GoldenError(
                        "landmarker outputs \(landmarked[0].count) values, the reference \(landmarks.count)")
                }
                let pixels = zip(landmarked[0], landmarks.toArray()).map { abs($0 - $1) }.max() ?? .nan
                compare("landmarks", landmarked[0], landmarks, note: String(format: "max %.2e px", Double(pixels)))
                compare("face_flag", landmarked[1], flag)

                let segmented = try segmenter.executor.run(nhwc: [try stored("segment_input").toArray()])
                let mask = try stored("segment_mask")
                guard segmented[0].count == mask.count else {
                    throw GoldenError("segmenter outputs \(segmented[0].count) values, the reference \(mask.count)")
                }
                compare("segment_mask", segmented[0], mask)
            } catch {
                report.entries.append(.failure(photo, note: "\(error)"))
            }
        }
        return report
    }
}
