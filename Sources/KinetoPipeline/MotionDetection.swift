import KinetoMedia

/// Settings for telling real motion from scene cuts and repeated frames.
///
/// Both measures work on 64×36 luma thumbnails (`LumaThumbnail`), on a 0–100 scale:
/// - the *difference* of two frames is their mean absolute difference;
/// - the *cut score* of a frame is `min(d, |d − d_prev|)` with `d` its difference from the previous
///   frame and `d_prev` the previous frame's: a sudden jump scores high, steady fast motion (large
///   but similar differences frame after frame) scores low. It is FFmpeg `scdet`'s score.
public struct MotionDetection: Sendable, Equatable {
    /// A frame whose cut score reaches this starts a new scene: nothing is interpolated across it,
    /// the neighbouring frames are repeated instead. 0 turns cut detection off.
    public var cutThreshold: Double
    /// A frame that differs from the last kept frame by less than this is a repeat of it (screen
    /// captures, animation on twos, telecined film) — provided no part of it changed by more than
    /// compression noise — and is skipped: the motion is interpolated between the real frames around
    /// it. 0 turns duplicate detection off.
    public var duplicateThreshold: Double
    /// The longest run of repeats that is skipped; a longer one is a deliberate hold (a still shot),
    /// kept still rather than turned into slow movement.
    public var maxDuplicateRun: Int

    public init(cutThreshold: Double, duplicateThreshold: Double, maxDuplicateRun: Int = 3) {
        self.cutThreshold = cutThreshold
        self.duplicateThreshold = duplicateThreshold
        self.maxDuplicateRun = maxDuplicateRun
    }

    /// The defaults: cuts at a score of 10, repeats below a difference of 0.3 (under one grey level on
    /// average), runs of up to 3 repeats. Chosen from measurements on the samples (see the README).
    public static let standard = MotionDetection(cutThreshold: 10, duplicateThreshold: 0.3, maxDuplicateRun: 3)
    /// Every frame is new motion, nothing is a cut.
    public static let off = MotionDetection(cutThreshold: 0, duplicateThreshold: 0, maxDuplicateRun: 0)

    /// The most a repeated frame's 64×36 thumbnail may differ anywhere, in grey levels: re-encoded
    /// repeats stay within 2 (measured on x264 CRF 16 animation on twos), while small real motion in an
    /// otherwise still shot reaches 5–50 (measured on samples/Megamind.avi).
    static let repeatNoiseLevels = 4

    var isOff: Bool { cutThreshold <= 0 && duplicateThreshold <= 0 }
}

/// Classifies frames one at a time, in order (see `MotionDetection`).
public struct MotionDetector: Sendable {
    public enum Verdict: Sendable, Equatable {
        /// The first frame.
        case first
        /// A repeat of the last kept frame (`run`: how many repeats in a row so far).
        case duplicate(run: Int)
        /// A new picture; `cut` when it starts a new scene.
        case new(score: Double, cut: Bool)
    }

    public let settings: MotionDetection
    private var lastKept: LumaThumbnail?
    private var previousDifference: Double = 0
    private var run = 0

    public init(settings: MotionDetection) { self.settings = settings }

    public mutating func classify(_ thumbnail: LumaThumbnail) -> Verdict {
        guard let lastKept else {
            self.lastKept = thumbnail
            return .first
        }
        let difference = thumbnail.meanAbsoluteDifference(lastKept)
        // A small mean alone is not enough: a small object moving in a still shot changes few pixels.
        // A repeat changes no thumbnail pixel by more than compression noise does.
        if settings.duplicateThreshold > 0 && difference < settings.duplicateThreshold
            && thumbnail.maximumDifference(lastKept) <= MotionDetection.repeatNoiseLevels
        {
            run += 1
            return .duplicate(run: run)
        }
        let score = min(difference, abs(difference - previousDifference))
        previousDifference = difference
        self.lastKept = thumbnail
        run = 0
        return .new(score: score, cut: settings.cutThreshold > 0 && score >= settings.cutThreshold)
    }
}
