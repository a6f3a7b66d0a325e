import KinetoEngine

/// A FeatureFlow convolution, planned by the engine under FeatureFlow's policy: 3×3 stride-1 layers of at least 16
/// input channels prepare Winograd F(4×4, 3×3), which runs on maps of at least
/// `FeatureFlowNetwork.winogradMinimumTiles` 4×4 tiles; the rest, and smaller maps, run by im2col + GEMM. `reflect`
/// marks the official `ReflectionPad2d(1)` + `Conv2d(padding=0)` pairs, whose padding Winograd applies while
/// reading (im2col pads first).
struct FeatureFlowConv {
    static let policy = ConvolutionPolicy(winogradF4MinimumInputChannels: 16)

    let conv: Conv2d

    init(_ conv: Conv2d, reflect: Bool = false) {
        // The weights were checked when `conv` was made.
        self.conv = try! Conv2d(
            weight: conv.weight, bias: conv.bias, window: conv.window, groups: conv.groups,
            activation: conv.activation, reflectionPadding: reflect ? 1 : 0, policy: FeatureFlowConv.policy)
    }

    /// `activation(conv(x) + residual) + addAfterActivation`.
    func callAsFunction(
        _ x: Tensor, residual: Tensor? = nil, addAfterActivation: Tensor? = nil,
        out: Tensor? = nil
    ) -> Tensor {
        var thresholds = conv.plan.policy.thresholds
        thresholds.winogradF4MinimumTiles = FeatureFlowNetwork.winogradMinimumTiles
        return conv(x, residual: residual, addAfterActivation: addAfterActivation, out: out, thresholds: thresholds)
    }
}
