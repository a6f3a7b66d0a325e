import Foundation

/// An element-wise activation that operators can apply in the same pass as their bias (fused), e.g. RIFE's
/// conv + PReLU / LeakyReLU chains.
public enum Activation: Sendable {
    case none
    case relu
    /// `x < 0 ? slope * x : x` (PyTorch `leaky_relu(x, slope)`).
    case leakyReLU(Float)
    /// Per-channel slopes (`weight` of PyTorch's `nn.PReLU(num_parameters: C)`, shape `[C]`, or `[1]` shared).
    case prelu(Tensor)
    case sigmoid
    case tanh

    /// Applies `value + bias` then the activation to `count` contiguous values of channel `channel`, in place.
    @inline(__always)
    func apply(_ p: UnsafeMutablePointer<Float>, count: Int, bias: Float, channel: Int) {
        switch self {
        case .none:
            if bias != 0 { for i in 0..<count { p[i] += bias } }
        case .relu:
            for i in 0..<count { p[i] = Swift.max(p[i] + bias, 0) }
        case .leakyReLU(let slope):
            for i in 0..<count {
                let v = p[i] + bias
                p[i] = v < 0 ? v * slope : v
            }
        case .prelu(let weight):
            let slope = weight.count == 1 ? weight.pointer[0] : weight.pointer[channel]
            for i in 0..<count {
                let v = p[i] + bias
                p[i] = v < 0 ? v * slope : v
            }
        case .sigmoid:
            for i in 0..<count { p[i] = Activation.sigmoid(p[i] + bias) }
        case .tanh:
            for i in 0..<count { p[i] = Foundation.tanh(p[i] + bias) }
        }
    }

    @inline(__always)
    static func sigmoid(_ v: Float) -> Float { 1 / (1 + Foundation.exp(-v)) }

    var isIdentity: Bool { if case .none = self { return true } else { return false } }
}
