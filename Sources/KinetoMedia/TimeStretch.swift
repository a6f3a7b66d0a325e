/// A change of pace: the part of a video between `start` and `end` plays `factor` times longer
/// (slow motion for factors above 1); what lies outside keeps its pace and follows on.
///
/// Times are seconds from the start of the input (its first timestamp counts as zero). The video side
/// of a job re-times frames with it; `MediaWriter` re-times audio with the same values (libavfilter's
/// `atempo`, which keeps the pitch), so both stay in step.
public struct TimeStretch: Sendable, Equatable, CustomStringConvertible {
    /// How many times longer the range becomes, exact (`4`, `5/2`).
    public var factor: Rational
    /// Start of the slowed range (nil: the beginning).
    public var start: Double?
    /// End of the slowed range (nil: the end of the input).
    public var end: Double?

    /// Factors from 1/16 to 64, and a range that is not empty; nil otherwise.
    public init?(factor: Rational, start: Double? = nil, end: Double? = nil) {
        guard factor >= Rational(1, 16), factor <= Rational(64) else { return nil }
        if let start, !(start >= 0 && start.isFinite) { return nil }
        if let end, !(end > (start ?? 0) && end.isFinite) { return nil }
        self.factor = factor
        self.start = start
        self.end = end
    }

    /// Where input time `seconds` (from the start) lands in the output.
    public func map(_ seconds: Double) -> Double {
        let from = start ?? 0
        let f = factor.doubleValue
        if seconds <= from { return seconds }
        if let end, seconds > end { return from + (end - from) * f + (seconds - end) }
        return from + (seconds - from) * f
    }

    /// The output's length for an input of `duration` seconds.
    public func stretchedDuration(_ duration: Double) -> Double { map(duration) }

    /// The `atempo` chain that slows audio by `factor` (each `atempo` takes 0.5…100 in FFmpeg 5.1).
    var atempoChain: String {
        var tempo = 1 / factor.doubleValue
        var parts: [String] = []
        while tempo < 0.5 {
            parts.append("atempo=0.5")
            tempo /= 0.5
        }
        while tempo > 100 {
            parts.append("atempo=100")
            tempo /= 100
        }
        parts.append("atempo=\(tempo)")
        return parts.joined(separator: ",")
    }

    /// A libavfilter graph description from `[in]` to `[out]` that re-times audio as this stretch re-times
    /// video. `lead`: how far ahead the atempo chain puts sounds (`AudioFilter.lead`), undone by a delay.
    func audioFilterGraph(lead: Double) -> String {
        let from = start ?? 0
        var segments: [String] = []
        var chains: [String] = []
        if from > 0 {
            chains.append("[s0]atrim=end=\(from)[p0]")
            segments.append("s0")
        }
        let middle = "s\(segments.count)"
        segments.append(middle)
        // atempo ends a little short; padding (or trimming) the slowed part to its exact length keeps
        // what follows it in sync.
        let exact =
            end.map {
                ",apad=whole_dur=\(($0 - from) * factor.doubleValue),atrim=duration=\(($0 - from) * factor.doubleValue)"
            } ?? ""
        let delay = lead > 0 ? String(format: "adelay=delays=%.3f:all=1,", lead * 1000 / factor.doubleValue) : ""
        chains.append(
            "[\(middle)]atrim=start=\(from)\(end.map { ":end=\($0)" } ?? ""),asetpts=PTS-STARTPTS,\(delay)\(atempoChain)\(exact)[p\(segments.count - 1)]"
        )
        if let end {
            let last = "s\(segments.count)"
            segments.append(last)
            chains.append("[\(last)]atrim=start=\(end)[p\(segments.count - 1)]")
        }
        if segments.count == 1 { return "[in]\(delay)\(atempoChain)[out]" }
        let split = "[in]asplit=\(segments.count)" + segments.map { "[\($0)]" }.joined()
        let concat = (0..<segments.count).map { "[p\($0)]" }.joined() + "concat=n=\(segments.count):v=0:a=1[out]"
        return ([split] + chains + [concat]).joined(separator: ";")
    }

    public var description: String {
        let range = start == nil && end == nil ? "all" : "\(start ?? 0) s to \(end.map { "\($0) s" } ?? "the end")"
        return "\(factor)× slower, \(range)"
    }
}
