import Foundation

/// MediaPipe's face models (Apache-2.0) from the `mediapipe==0.10.21` wheel (cp311 manylinux_2_28 x86_64), installed
/// as `<model dir>/mediapipe/<file>` where the model dir is `$KINETO_MODEL_DIR`, else `$XDG_DATA_HOME/kineto/models`,
/// else `~/.local/share/kineto/models`.
public enum MediaPipeModel: String, CaseIterable, Sendable {
    case faceDetectionShortRange = "face_detection_short_range.tflite"
    case faceLandmark = "face_landmark.tflite"
    case selfieSegmentation = "selfie_segmentation.tflite"

    public var fileName: String { rawValue }

    /// SHA-256 of the file in the wheel (sha256 05dc4a9e…aecfe3).
    public var sha256: String {
        switch self {
        case .faceDetectionShortRange: "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
        case .faceLandmark: "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814"
        case .selfieSegmentation: "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c"
        }
    }

    /// The model directory the environment selects (same rule as Kineto's model store).
    public static func modelDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit = environment["KINETO_MODEL_DIR"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let data = environment["XDG_DATA_HOME"], !data.isEmpty {
            return URL(fileURLWithPath: data).appendingPathComponent("kineto/models")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/share/kineto/models")
    }

    /// Where the model is expected in `directory` (default: the environment's model directory).
    public func path(in directory: URL? = nil) -> URL {
        (directory ?? Self.modelDirectory()).appendingPathComponent("mediapipe").appendingPathComponent(fileName)
    }

    /// The installed file, or an error saying how to install it.
    public func installedFile(in directory: URL? = nil) throws -> URL {
        let url = path(in: directory)
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw TFLiteGraphError(file: url.path, "MediaPipe model \(fileName) is not installed; run scripts/setup (it comes from PyPI mediapipe==0.10.21)")
        }
        return url
    }
}
