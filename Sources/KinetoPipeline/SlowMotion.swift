import KinetoMedia

/// A slow-motion job's settings: which part becomes how much longer, and what happens to the sound.
public struct SlowMotion: Sendable, Equatable {
    public enum Audio: String, Sendable, CaseIterable {
        /// No audio in the output (the default: slowed speech is rarely wanted).
        case drop
        /// Audio slowed with the video, pitch kept (`atempo`), in sync.
        case stretch
    }

    public var stretch: TimeStretch
    public var audio: Audio

    public init(stretch: TimeStretch, audio: Audio = .drop) {
        self.stretch = stretch
        self.audio = audio
    }
}

/// Input timestamps re-timed by a `TimeStretch`, exactly, in a finer time base: ticks of
/// `timeBase / q` for a factor `p/q`. Before the range a tick is `q` fine ticks, inside it `p`, after
/// it `q` again, so the schedule sees a slowed-down input.
///
/// What follows the range is delayed by the time the range gained, rounded up to whole output frames:
/// a range that gains 18.75 frames would otherwise put every later input frame between two output
/// frames, and all of them would be made anew instead of passed through. The rounding (under one output
/// frame) lengthens the range's last gap; `stretch` is the range as played, for audio and chapters.
struct StretchedClock: Sendable {
    let p: Int64
    let q: Int64
    /// Range bounds in input ticks.
    let from: Int64
    let to: Int64?
    /// How much later (in fine ticks) everything after the range is shown.
    let delayAfter: Int64
    /// The stretch as played: its end moved so the range gains exactly `delayAfter`.
    let stretch: TimeStretch

    /// `origin`: the input's start in ticks (the stretch's zero); `outputRate`: the grid later frames keep to.
    init(_ stretch: TimeStretch, timeBase: Rational, origin: Int64, outputRate: FrameRate) {
        p = stretch.factor.numerator
        q = stretch.factor.denominator
        func ticks(_ seconds: Double) -> Int64 {
            origin + Int64((seconds * Double(timeBase.denominator) / Double(timeBase.numerator)).rounded())
        }
        from = stretch.start.map(ticks) ?? origin
        to = stretch.end.map(ticks)
        var played = stretch
        if let to, p != q {
            // Fine ticks are timeBase/q seconds; one output frame is rate.seconds/rate.frames seconds.
            let gained = Int128(to - from) * Int128(p - q)
            let frameNumerator = Int128(outputRate.seconds) * Int128(timeBase.denominator) * Int128(q)
            let frameDenominator = Int128(outputRate.frames) * Int128(timeBase.numerator)
            // Whole output frames: rounded up when the range gains time, towards zero when it loses some, so the
            // delay never falls short of the exact one and frames after the range stay after those in it.
            var frames = (gained * frameDenominator) / frameNumerator
            if frames * frameNumerator != gained * frameDenominator && gained > 0 { frames += 1 }
            let delay = (frames * frameNumerator + frameDenominator / 2) / frameDenominator
            delayAfter = Int64(delay)
            let fineSeconds = Double(timeBase.numerator) / Double(timeBase.denominator) / Double(q)
            let factor = stretch.factor.doubleValue
            played.end = (played.start ?? 0) + Double(delay) * fineSeconds / (factor - 1)
        } else {
            delayAfter = 0
        }
        self.stretch = played
    }

    func map(_ pts: Int64) -> Int64 {
        if pts <= from { return pts * q }
        if let to, pts > to { return pts * q + delayAfter }
        return from * q + (pts - from) * p
    }
}
