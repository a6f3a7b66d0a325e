import KinetoEngine

/// A FeatureFlow convolution: the engine's `Conv2d`, or for 3×3 stride-1 layers `WinogradConv3x3` when the map is
/// large enough for the transforms to pay off. `reflect` marks the official `ReflectionPad2d(1)` + `Conv2d(padding=0)`
/// pairs, whose padding the Winograd path applies while reading (the direct path pads first).
struct FeatureFlowConv {
    let direct: Conv2d
    let winograd: WinogradConv3x3?
    let reflect: Bool

    init(_ conv: Conv2d, reflect: Bool = false) {
        direct = conv
        self.reflect = reflect
        winograd = conv.inputChannels >= 16 ? WinogradConv3x3(conv, padding: reflect ? .reflect : .zeros) : nil
    }

    /// `activation(conv(x) + residual) + addAfterActivation`.
    func callAsFunction(
        _ x: Tensor, residual: Tensor? = nil, addAfterActivation: Tensor? = nil,
        out: Tensor? = nil
    ) -> Tensor {
        if let winograd, ((x.h + 3) / 4) * ((x.w + 3) / 4) >= FeatureFlowNetwork.winogradMinimumTiles {
            return winograd(x, residual: residual, addAfterActivation: addAfterActivation, out: out)
        }
        let input = reflect ? Ops.pad(x, left: 1, right: 1, top: 1, bottom: 1, mode: .reflect) : x
        let y = direct(input, residual: residual, out: out)
        if let addAfterActivation { return Ops.add(addAfterActivation, y, out: y) }
        return y
    }
}
