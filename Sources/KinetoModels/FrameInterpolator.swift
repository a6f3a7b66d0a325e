import KinetoMedia

/// A model that synthesises an intermediate frame between two input frames.
///
/// Implementations hold their weights and scratch memory; one instance serves one thread at a
/// time (the pipeline gives each inference worker its own instance or serialises calls).
public protocol FrameInterpolator: AnyObject {
    /// Short name used on the command line (`rife`, `featureflow`).
    var name: String { get }
    /// True when `interpolate` accepts any `t` in (0, 1); false when only `t = 0.5` is defined
    /// (the pipeline then reaches other times by recursive midpoints).
    var supportsArbitraryTimestep: Bool { get }
    /// The frame at time `t` between `first` (t = 0) and `second` (t = 1). Both inputs have the
    /// same size; the result has that size too.
    func interpolate(_ first: RGBImage, _ second: RGBImage, at t: Double) throws -> RGBImage

    /// Another instance for a second thread that shares what this one can share (weights, frames already
    /// prepared), so that several frames are made at once without loading the model twice; nil when the model
    /// shares nothing (the caller then makes a new instance).
    func sibling() -> (any FrameInterpolator)?
}

extension FrameInterpolator {
    public func sibling() -> (any FrameInterpolator)? { nil }
}
