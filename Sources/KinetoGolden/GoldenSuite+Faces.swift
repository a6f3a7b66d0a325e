import Foundation

extension GoldenSuite {
    /// MediaPipe's face models (installed, see `MediaPipeModel`) vs the TFLite reference: `faces-golden.safetensors`.
    public static let faces = GoldenSuite(kind: "faces", summary: "MediaPipe face detection, landmarks, segmentation vs TFLite (faces-golden.safetensors)") { file, _ in
        try FacesGoldenCheck.run(tensors: try GoldenFile.open(file), source: file.path)
    }
}
