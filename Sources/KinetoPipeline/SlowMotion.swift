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
/// it `q` again, so the mapping is continuous and the schedule sees a slowed-down input.
struct StretchedClock: Sendable {
    let p: Int64
    let q: Int64
    /// Range bounds in input ticks.
    let from: Int64
    let to: Int64?

    /// `origin`: the input's start in ticks (the stretch's zero).
    init(_ stretch: TimeStretch, timeBase: Rational, origin: Int64) {
        p = stretch.factor.numerator
        q = stretch.factor.denominator
        func ticks(_ seconds: Double) -> Int64 {
            origin + Int64((seconds * Double(timeBase.denominator) / Double(timeBase.numerator)).rounded())
        }
        from = stretch.start.map(ticks) ?? origin
        to = stretch.end.map(ticks)
    }

    func map(_ pts: Int64) -> Int64 {
        if pts <= from { return pts * q }
        if let to, pts > to { return from * q + (to - from) * p + (pts - to) * q }
        return from * q + (pts - from) * p
    }
}
