/// How FeatureFlow's DetailEnhance stage splits large frames: tiles of at most `core` pixels a side, each read with
/// `margin` pixels of context around it. Both are multiples of 8 (the network's stride), checked once where they are
/// set, so the interpolator needs no second check.
public struct FeatureFlowTiling: Sendable, Hashable {
    public let core: Int
    public let margin: Int

    /// The tiling `FeatureFlowInterpolator` uses unless told otherwise (448 + 2 × 32 = 512, the size it was trained at).
    public static let standard = FeatureFlowTiling(checkedCore: 448, margin: 32)

    private init(checkedCore core: Int, margin: Int) {
        self.core = core
        self.margin = margin
    }

    /// Tiles of `core` pixels with `margin` pixels of context; an error unless both are multiples of 8 and the core
    /// is at least 8 pixels.
    public init(core: Int, margin: Int) throws {
        guard core >= 8, core % 8 == 0 else {
            throw FeatureFlowError("FeatureFlow tile \(core) must be a multiple of 8 pixels, at least 8")
        }
        guard margin >= 0, margin % 8 == 0 else {
            throw FeatureFlowError("FeatureFlow tile margin \(margin) must be a multiple of 8 pixels (0 or more)")
        }
        self.init(checkedCore: core, margin: margin)
    }
}
