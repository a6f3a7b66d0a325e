import Foundation

/// MediaPipe's face models (Apache-2.0) from the `mediapipe==0.10.21` wheel (cp311 manylinux_2_28 x86_64), installed
/// as `<model dir>/mediapipe/<file>` in Kineto's model store (`ModelStore.standard()`: `$KINETO_MODEL_DIR`, else
/// `$XDG_DATA_HOME/kineto/models`, else `~/.local/share/kineto/models`; then `/var/lib/kineto/models`).
public enum MediaPipeModel: String, CaseIterable, Sendable {
    case faceDetectionShortRange = "face_detection_short_range.tflite"
    case faceLandmark = "face_landmark.tflite"
    case selfieSegmentation = "selfie_segmentation.tflite"

    public var fileName: String { rawValue }

    /// The model's catalogue entry (licence, source, SHA-256).
    public var descriptor: ModelDescriptor {
        switch self {
        case .faceDetectionShortRange: .faceDetection
        case .faceLandmark: .faceLandmark
        case .selfieSegmentation: .selfieSegmentation
        }
    }

    /// Where the model is expected in the store at `directory` (default: the environment's store).
    public func path(in directory: URL? = nil) -> URL {
        ModelStore.standard().path(of: descriptor, in: directory)
    }

    /// The installed file (in the store at `directory`, or anywhere the standard store looks), or an error saying
    /// how to install it.
    public func installedFile(in directory: URL? = nil) throws -> URL {
        let store = directory.map { ModelStore(directory: $0) } ?? ModelStore.standard()
        guard let url = store.installedFile(descriptor) else {
            throw TFLiteGraphError(
                file: store.path(of: descriptor).path,
                "MediaPipe model \(fileName) is not installed; run scripts/setup, or `kineto models install \(descriptor.id) --from PATH/TO/\(fileName)`"
            )
        }
        return url
    }
}
