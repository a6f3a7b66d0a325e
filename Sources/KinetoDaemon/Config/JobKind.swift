/// What a watched folder does to each video dropped into it.
public enum JobKind: String, Sendable, Codable, CaseIterable {
    /// Frame-rate conversion to `fps` (`2x`, `60`, `60000/1001`).
    case interpolate
    /// Slow motion: `factor` times as many frames, played at the input's rate.
    case slowmo
    /// Portrait animation: each video dropped in drives the watch's `portrait` photo (`kineto animate`).
    case animate
}
