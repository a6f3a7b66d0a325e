import Foundation

extension GoldenSuite {
    /// MediaPipe's face models (installed, see `MediaPipeModel`) vs the TFLite reference: `faces-golden.safetensors`.
    public static let faces = GoldenSuite(
        kind: "faces", summary: "MediaPipe face detection, landmarks, segmentation vs TFLite (faces-golden.safetensors)"
    ) { file, _ in
        let tensors = try GoldenFile.open(file)
        let names = (tensors as? SafeTensorsGoldenTensors)?.file.names ?? []
        return try FacesGoldenCheck.run(
            tensors: tensors, photos: FacesGoldenCheck.photoNames(in: names), source: file.path)
    }
}
