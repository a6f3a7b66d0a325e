import CKinetoKernels
import Foundation

/// A 3×3 convolution with zero padding 1 and stride 1 or 2, computed directly in AVX-512
/// (`kineto_conv3x3_rows_avx512`: 16 output channels × 16 pixels in registers, fused multiply-adds).
///
/// For the convolutions with few output channels (16-64) on large maps, im2col + GEMM moves far more memory than
/// it computes: im2col writes `9 · Cin` floats per output pixel, OpenBLAS packs them again, and a 16-row GEMM
/// reaches half the core's peak (`kineto bench ops` shows both side by side). Reading the few input rows an output
/// row needs and accumulating in registers avoids all of it. Exists only where the CPU has AVX-512 (and
/// `KINETO_PORTABLE_KERNELS` is not set); `Conv2d` prepares one at load when its `ConvolutionPolicy` allows
/// (`ConvolutionPlan`).
public struct DirectConv3x3: @unchecked Sendable {
    public let inputChannels: Int
    public let outputChannels: Int
    /// The weight as `[Cout/16][Cin][9][16]`.
    let packed: [Float]
    let bias: [Float]?
    let stride: Int
    /// LeakyReLU (ReLU: slope 0) after the bias, or nil for none.
    let slope: Float?

    /// Nil when the convolution is not a 3×3, padding-1, stride-1-or-2, one-group convolution with a multiple of 16
    /// output channels and no activation, ReLU or LeakyReLU, or when the CPU lacks AVX-512 (`enabled`).
    public init?(_ conv: Conv2d, enabled: Bool = VectorKernels.avx512) {
        let w = conv.weight
        guard enabled, w.rank == 4, w.shape[2] == 3, w.shape[3] == 3, conv.groups == 1, w.shape[0] % 16 == 0,
            let stride = [1, 2].first(where: { conv.window == Window2D(stride: $0, padding: 1, dilation: 1) })
        else { return nil }
        switch conv.activation {
        case .none: slope = nil
        case .relu: slope = 0
        case .leakyReLU(let s): slope = s
        default: return nil
        }
        inputChannels = conv.inputChannels
        outputChannels = conv.outputChannels
        self.stride = stride
        bias = conv.bias?.toArray()
        var packed = [Float](repeating: 0, count: w.count)
        packed.withUnsafeMutableBufferPointer {
            kineto_conv3x3_pack_weight(w.pointer, Int64(w.shape[0]), Int64(w.shape[1]), $0.baseAddress!)
        }
        self.packed = packed
    }

    /// The convolution of `x` `[N, Cin, H, W]`, `+ residual` (the output's shape) before the activation, into `out`
    /// if given (which may be a channel view; not `residual` or `x`).
    public func callAsFunction(_ x: Tensor, residual: Tensor? = nil, out: Tensor? = nil) -> Tensor {
        let (cin, h, w) = (x.c, x.h, x.w)
        Engine.check(cin == inputChannels, "conv2d: input \(x.shape) does not fit \(inputChannels) input channels")
        let cout = outputChannels
        let ho = Window2D.convOutput(h, kernel: 3, stride: stride, pad: 1, dilation: 1)
        let wo = Window2D.convOutput(w, kernel: 3, stride: stride, pad: 1, dilation: 1)
        let y = out ?? Tensor.empty([x.n, cout, ho, wo], like: x)
        Engine.check(y.shape == [x.n, cout, ho, wo], "conv2d: output \(y.shape) must be \([x.n, cout, ho, wo])")
        if let residual {
            Engine.check(
                residual.shape == y.shape && residual.isContiguous,
                "conv2d: residual \(residual.shape) must be a contiguous tensor of the output's shape \(y.shape)")
        }
        // Parts of at least about 64 K multiply-adds, up to four per thread: claimed as threads free up, so a thread
        // the system pauses (an encoder shares the cores) holds back only a small part.
        let macsPerRow = cout * cin * 9 * wo
        let parts = max(1, min(ho, 4 * Parallel.maxThreads, ho * macsPerRow / (1 << 16)))
        let step = (ho + parts - 1) / parts
        let chunks = (ho + step - 1) / step
        let lineFloats = Int(kineto_conv3x3_line_floats(Int64(wo))) * stride * 3 * cin
        let workers = min(chunks, Parallel.maxThreads)
        let scratch = Tensor.empty([workers * lineFloats], like: x)
        let claimed = ClaimCounter()
        packed.withUnsafeBufferPointer { weights in
            for item in 0..<x.n {
                let input = x.pointer(item: item)
                let output = y.pointer(item: item)
                let skip = residual.map { UnsafePointer($0.pointer(item: item)) }
                claimed.reset()
                Parallel.forEach(workers) { worker in
                    let lines = scratch.pointer + worker * lineFloats
                    while let chunk = claimed.next(below: chunks) {
                        let r0 = chunk * step
                        let r1 = min(ho, r0 + step)
                        run(
                            input, cin: cin, h: h, w: w, weights: weights.baseAddress!, cout: cout, residual: skip,
                            output: output, ho: ho, wo: wo, rows: r0..<r1, lines: lines)
                    }
                }
            }
        }
        return y
    }

    private func run(
        _ input: UnsafePointer<Float>, cin: Int, h: Int, w: Int, weights: UnsafePointer<Float>, cout: Int,
        residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, ho: Int, wo: Int, rows: Range<Int>,
        lines: UnsafeMutablePointer<Float>
    ) {
        let call = { (biasPointer: UnsafePointer<Float>?) in
            kineto_conv3x3_rows_avx512(
                input, Int64(cin), Int64(h), Int64(w), Int64(stride), weights, biasPointer,
                residual, Int64(cout), slope ?? 1, slope == nil ? 0 : 1, output, Int64(ho), Int64(wo),
                Int64(rows.lowerBound), Int64(rows.upperBound), lines)
        }
        if let bias { bias.withUnsafeBufferPointer { call($0.baseAddress) } } else { call(nil) }
    }
}

/// Hands out 0, 1, 2, … to whichever thread asks next: parallel loops whose workers each own scratch memory take
/// their items dynamically, so a paused thread delays only the item it holds.
public final class ClaimCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()

    public init() {}

    public func reset() {
        lock.lock()
        value = 0
        lock.unlock()
    }

    /// The next unclaimed item below `count`, or nil when all are taken.
    public func next(below count: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < count else { return nil }
        value += 1
        return value - 1
    }
}
