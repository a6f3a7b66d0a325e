/// Which intermediate times the interpolation method can produce.
public enum TimestepPolicy: Sendable, Hashable {
    /// Any t in (0, 1) (RIFE, blend).
    case arbitrary
    /// Only t = 0.5 is defined (FeatureFlow): every output time is rounded to the nearest dyadic
    /// time `j / 2^maxDepth` and reached by recursive midpoints (0.5, then 0.25 or 0.75, …), at most
    /// `maxDepth` model calls per output frame. Times that round to 0 or 1 become the input frame
    /// itself. With the default depth 3 a time is off by at most 1/16 of the input frame interval.
    case dyadic(maxDepth: Int)

    /// The default for midpoint-only models.
    public static let midpointsOnly = TimestepPolicy.dyadic(maxDepth: 3)
}
