import Foundation
import KinetoEngine
import KinetoWeights

/// Runs a float TFLite model's main graph on Kineto's engine, in NCHW.
///
/// Weights are converted once at load: convolution `[out, kh, kw, in]` → `[out, in, kh, kw]`, depthwise
/// `[1, kh, kw, ch]` → `[ch, 1, kh, kw]` (groups = ch), transposed convolution `[out, kh, kw, in]` →
/// `[in, out, kh, kw]`. Rank-4 activations are NCHW engine tensors; others (reshaped detector heads) keep TFLite's
/// row-major layout. Semantics follow TFLite's reference kernels: SAME padding puts the odd pixel at the
/// bottom/right, pooling windows are clipped to the input, RESHAPE and CONCATENATION act on NHWC order.
/// Operators: CONV_2D, DEPTHWISE_CONV_2D, ADD, MUL, RELU, RELU6, PRELU, LOGISTIC, HARD_SWISH, PAD, MAX_POOL_2D,
/// AVERAGE_POOL_2D, RESHAPE, CONCATENATION, RESIZE_BILINEAR, DEQUANTIZE (of constants) and MediaPipe's custom
/// Convolution2DTransposeBias; any other throws at load.
public final class TFLiteGraphExecutor: @unchecked Sendable {
    /// An activation: an NCHW tensor for TFLite rank-4 NHWC tensors, else TFLite's row-major values.
    enum Value {
        case nchw(Tensor)
        case flat([Float], shape: [Int])
    }

    public let model: TFLiteModel
    /// TFLite shapes (NHWC) of the graph's inputs and outputs.
    public let inputShapes: [[Int]]
    public let outputShapes: [[Int]]
    private let graph: TFLiteSubgraph
    private var steps: [(inout [Int: Value]) throws -> Void] = []

    /// Loads the model at `url` and prepares every operator.
    public convenience init(contentsOf url: URL) throws {
        try self.init(model: try TFLiteModel(contentsOf: url))
    }

    public init(model: TFLiteModel) throws {
        self.model = model
        let main = model.main
        graph = main
        inputShapes = main.inputs.map { main.tensors[$0].shape }
        outputShapes = main.outputs.map { main.tensors[$0].shape }
        for op in graph.operators { try prepare(op) }
    }

    /// Runs the graph. `inputs`: one NCHW tensor per graph input (`[1, C, H, W]` for TFLite's `[1, H, W, C]`).
    /// Returns the outputs: rank-4 ones as NCHW tensors, others in TFLite's shape and order.
    public func run(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == graph.inputs.count else {
            throw TFLiteGraphError(file: model.path, "expects \(graph.inputs.count) inputs, got \(inputs.count)")
        }
        var values: [Int: Value] = [:]
        for (index, tensor) in zip(graph.inputs, inputs) {
            let s = NHWCLayout.nhwc(graph.tensors[index].shape)
            guard tensor.shape == [s[0], s[3], s[1], s[2]] else {
                throw TFLiteGraphError(
                    file: model.path,
                    "input \(graph.tensors[index].name) must be NCHW \([s[0], s[3], s[1], s[2]]), got \(tensor.shape)")
            }
            values[index] = .nchw(tensor)
        }
        for step in steps { try step(&values) }
        return try graph.outputs.map { index in
            switch try value(index, values) {
            case .nchw(let t): return t
            case .flat(let v, let shape): return Tensor(shape: shape, values: v)
            }
        }
    }

    /// Runs the graph on NHWC values (TFLite's layout) and returns each output's values in TFLite's order.
    public func run(nhwc inputs: [[Float]]) throws -> [[Float]] {
        guard inputs.count == graph.inputs.count else {
            throw TFLiteGraphError(file: model.path, "expects \(graph.inputs.count) inputs, got \(inputs.count)")
        }
        let tensors = try zip(graph.inputs, inputs).map { index, values in
            let shape = graph.tensors[index].shape
            guard values.count == shape.reduce(1, *) else {
                throw TFLiteGraphError(
                    file: model.path,
                    "input \(graph.tensors[index].name) needs \(shape.reduce(1, *)) values \(shape), got \(values.count)"
                )
            }
            return NHWCLayout.tensor(fromNHWC: values, shape: shape)
        }
        return try zip(graph.outputs, try run(tensors)).map { index, tensor in
            graph.tensors[index].shape.count == 4 ? NHWCLayout.nhwcValues(of: tensor) : tensor.toArray()
        }
    }

    // MARK: - Preparation

    private func fail(_ op: TFLiteOperator, _ message: String) -> TFLiteGraphError {
        TFLiteGraphError(file: model.path, "operator \(op.index) (\(op.name)): \(message)")
    }

    private func constant(_ index: Int, _ op: TFLiteOperator) throws -> [Float] {
        guard index >= 0, let values = try model.constantValues(of: index) else {
            throw fail(op, "input tensor \(index) must be a constant")
        }
        return values
    }

    private func isConstant(_ index: Int) throws -> Bool { try model.constantValues(of: index) != nil }

    private func value(_ index: Int, _ values: [Int: Value]) throws -> Value {
        guard let v = values[index] else {
            throw TFLiteGraphError(
                file: model.path, "tensor \(index) (\(graph.tensors[index].name)) is used before it is computed")
        }
        return v
    }

    private func nchw(_ index: Int, _ values: [Int: Value]) throws -> Tensor {
        switch try value(index, values) {
        case .nchw(let t): return t
        case .flat(let v, let shape): return NHWCLayout.tensor(fromNHWC: v, shape: shape)
        }
    }

    private func nhwcFlat(_ index: Int, _ values: [Int: Value]) throws -> [Float] {
        switch try value(index, values) {
        case .nchw(let t): return NHWCLayout.nhwcValues(of: t)
        case .flat(let v, _): return v
        }
    }

    /// Stores a result: rank-4 TFLite tensors as NCHW, others flat.
    private func store(_ values: inout [Int: Value], _ index: Int, nhwc flat: [Float]) {
        let shape = graph.tensors[index].shape
        values[index] =
            shape.count == 4 ? .nchw(NHWCLayout.tensor(fromNHWC: flat, shape: shape)) : .flat(flat, shape: shape)
    }

    /// The fused activation as an engine activation plus clamping bounds for RELU6 / RELU_N1_TO_1.
    private func fused(_ op: TFLiteOperator) throws -> (Activation, ClosedRange<Float>?) {
        switch op.options.activation ?? .none {
        case .none: return (.none, nil)
        case .relu: return (.relu, nil)
        case .relu6: return (.none, 0...6)
        case .reluN1To1: return (.none, -1...1)
        case .tanh: return (.tanh, nil)
        case .signBit: throw fail(op, "fused activation SIGN_BIT is not supported")
        }
    }

    private static func finish(_ x: Tensor, _ activation: Activation, _ bounds: ClosedRange<Float>?) -> Tensor {
        var y = x
        switch activation {
        case .none: break
        default: y = Ops.activation(y, activation)
        }
        if let bounds { y = Ops.clamp(y, min: bounds.lowerBound, max: bounds.upperBound) }
        return y
    }

    private func prepare(_ op: TFLiteOperator) throws {
        let output = op.outputs.first ?? -1
        switch op.name {
        case "DEQUANTIZE":
            guard try isConstant(op.outputs[0]) else { throw fail(op, "only constants can be dequantized") }
        case "CONV_2D", "DEPTHWISE_CONV_2D":
            try prepareConvolution(op, depthwise: op.name == "DEPTHWISE_CONV_2D")
        case "CUSTOM:Convolution2DTransposeBias":
            try prepareTransposeConvolution(op)
        case "ADD", "MUL":
            try prepareBinary(op, multiply: op.name == "MUL")
        case "RELU", "RELU6", "LOGISTIC", "HARD_SWISH":
            let input = op.inputs[0]
            let name = op.name
            steps.append { [unowned self] values in
                let x = try nchw(input, values)
                let y: Tensor
                switch name {
                case "RELU": y = Ops.relu(x)
                case "RELU6": y = Ops.clamp(x, min: 0, max: 6)
                case "LOGISTIC": y = Ops.sigmoid(x)
                default: y = TFLiteKernels.hardSwish(x)
                }
                values[output] = .nchw(y)
            }
        case "PRELU":
            let alpha = try constant(op.inputs[1], op)
            let channels = NHWCLayout.nhwc(graph.tensors[op.inputs[0]].shape)[3]
            guard alpha.count == channels || alpha.count == 1 else {
                throw fail(op, "slopes of \(graph.tensors[op.inputs[1]].shape) are not per channel")
            }
            let slopes = Tensor(shape: [alpha.count], values: alpha)
            let input = op.inputs[0]
            steps.append { [unowned self] values in
                values[output] = .nchw(Ops.prelu(try nchw(input, values), weight: slopes))
            }
        case "PAD":
            guard let pads = try model.constantIntegers(of: op.inputs[1]), pads.count == 8 else {
                throw fail(op, "paddings must be a constant 4×2 tensor")
            }
            let p = pads.map(Int.init)
            let input = op.inputs[0]
            guard p[0] == 0, p[1] == 0, p.allSatisfy({ $0 >= 0 }) else {
                throw fail(op, "padding the batch is not supported")
            }
            steps.append { [unowned self] values in
                var x = try nchw(input, values)
                if p[2] != 0 || p[3] != 0 || p[4] != 0 || p[5] != 0 {
                    x = Ops.pad(x, left: p[4], right: p[5], top: p[2], bottom: p[3])
                }
                if p[6] != 0 || p[7] != 0 { x = TFLiteKernels.padChannels(x, before: p[6], after: p[7]) }
                values[output] = .nchw(x)
            }
        case "MAX_POOL_2D", "AVERAGE_POOL_2D":
            let o = op.options
            let input = op.inputs[0]
            let isMax = op.name == "MAX_POOL_2D"
            guard let kh = o.filterHeight, let kw = o.filterWidth, let sh = o.strideH, let sw = o.strideW,
                let padding = o.padding
            else {
                throw fail(op, "pooling options are missing")
            }
            let (activation, bounds) = try fused(op)
            steps.append { [unowned self] values in
                let y = TFLiteKernels.pool(
                    try nchw(input, values), kernelH: kh, kernelW: kw, strideH: sh, strideW: sw,
                    same: padding == .same, max: isMax)
                values[output] = .nchw(Self.finish(y, activation, bounds))
            }
        case "RESIZE_BILINEAR":
            guard let size = try model.constantIntegers(of: op.inputs[1]), size.count == 2 else {
                throw fail(op, "the output size must be a constant pair")
            }
            let (ho, wo) = (Int(size[0]), Int(size[1]))
            let input = op.inputs[0]
            let align = op.options.alignCorners ?? false
            let half = op.options.halfPixelCenters ?? false
            steps.append { [unowned self] values in
                values[output] = .nchw(
                    TFLiteKernels.resizeBilinear(
                        try nchw(input, values), height: ho, width: wo,
                        alignCorners: align, halfPixelCenters: half))
            }
        case "RESHAPE":
            let input = op.inputs[0]
            guard graph.tensors[output].count == graph.tensors[input].count else {
                throw fail(
                    op, "reshape of \(graph.tensors[input].shape) to \(graph.tensors[output].shape) changes the size")
            }
            steps.append { [unowned self] values in
                store(&values, output, nhwc: try nhwcFlat(input, values))
            }
        case "CONCATENATION":
            try prepareConcatenation(op)
        default:
            throw fail(op, "operator not supported by Kineto's TFLite executor")
        }
    }

    private func prepareConvolution(_ op: TFLiteOperator, depthwise: Bool) throws {
        let o = op.options
        let input = op.inputs[0]
        let output = op.outputs[0]
        let inShape = NHWCLayout.nhwc(graph.tensors[input].shape)
        let wShape = graph.tensors[op.inputs[1]].shape
        guard wShape.count == 4 else { throw fail(op, "weight shape \(wShape) is not 4-D") }
        let raw = try constant(op.inputs[1], op)
        let (kh, kw) = (wShape[1], wShape[2])
        let weight: Tensor
        let groups: Int
        let cout: Int
        if depthwise {
            let channels = wShape[3]
            guard (o.depthMultiplier ?? 1) == 1, channels == inShape[3] else {
                throw fail(op, "depthwise convolution with depth multiplier \(o.depthMultiplier ?? 1) is not supported")
            }
            // [1, kh, kw, ch] → [ch, 1, kh, kw]
            var w = [Float](repeating: 0, count: raw.count)
            for y in 0..<kh {
                for x in 0..<kw {
                    for c in 0..<channels { w[(c * kh + y) * kw + x] = raw[(y * kw + x) * channels + c] }
                }
            }
            weight = Tensor(shape: [channels, 1, kh, kw], values: w)
            groups = channels
            cout = channels
        } else {
            let cin = wShape[3]
            guard cin == inShape[3] else { throw fail(op, "weight \(wShape) does not fit input \(inShape)") }
            cout = wShape[0]
            var w = [Float](repeating: 0, count: raw.count)
            for oc in 0..<cout {
                for y in 0..<kh {
                    for x in 0..<kw {
                        for c in 0..<cin {
                            w[((oc * cin + c) * kh + y) * kw + x] = raw[((oc * kh + y) * kw + x) * cin + c]
                        }
                    }
                }
            }
            weight = Tensor(shape: [cout, cin, kh, kw], values: w)
            groups = 1
        }
        var bias: Tensor?
        if op.inputs.count > 2, op.inputs[2] >= 0 {
            let b = try constant(op.inputs[2], op)
            guard b.count == cout else { throw fail(op, "bias of \(b.count) values for \(cout) channels") }
            bias = Tensor(shape: [cout], values: b)
        }
        let sh = o.strideH ?? 1
        let sw = o.strideW ?? 1
        let dh = o.dilationH ?? 1
        let dw = o.dilationW ?? 1
        let same = o.padding == .same
        let rows = TFLiteKernels.samePadding(inShape[1], kernel: kh, stride: sh, dilation: dh)
        let cols = TFLiteKernels.samePadding(inShape[2], kernel: kw, stride: sw, dilation: dw)
        // Symmetric SAME padding goes to the convolution; TF's extra bottom/right pixel needs an explicit pad.
        let symmetric = !same || (rows.before == rows.after && cols.before == cols.after)
        let window = Window2D(
            strideH: sh, strideW: sw, padH: same && symmetric ? rows.before : 0,
            padW: same && symmetric ? cols.before : 0, dilationH: dh, dilationW: dw)
        let (activation, bounds) = try fused(op)
        steps.append { [unowned self] values in
            var x = try nchw(input, values)
            if !symmetric { x = Ops.pad(x, left: cols.before, right: cols.after, top: rows.before, bottom: rows.after) }
            let y = Ops.conv2d(x, weight: weight, bias: bias, window: window, groups: groups, activation: activation)
            values[output] = .nchw(bounds.map { Ops.clamp(y, min: $0.lowerBound, max: $0.upperBound) } ?? y)
        }
    }

    private func prepareTransposeConvolution(_ op: TFLiteOperator) throws {
        guard let (padding, sw, sh) = op.transposeConvolutionBiasParameters else {
            throw fail(op, "unreadable options")
        }
        guard sw == sh else { throw fail(op, "unequal strides \(sw)×\(sh) are not supported") }
        let input = op.inputs[0]
        let output = op.outputs[0]
        let wShape = graph.tensors[op.inputs[1]].shape
        let raw = try constant(op.inputs[1], op)
        let (cout, kh, kw, cin) = (wShape[0], wShape[1], wShape[2], wShape[3])
        // [out, kh, kw, in] → [in, out, kh, kw]
        var w = [Float](repeating: 0, count: raw.count)
        for oc in 0..<cout {
            for y in 0..<kh {
                for x in 0..<kw {
                    for c in 0..<cin {
                        w[((c * cout + oc) * kh + y) * kw + x] = raw[((oc * kh + y) * kw + x) * cin + c]
                    }
                }
            }
        }
        let weight = Tensor(shape: [cin, cout, kh, kw], values: w)
        let bias =
            op.inputs.count > 2 && op.inputs[2] >= 0
            ? Tensor(shape: [cout], values: try constant(op.inputs[2], op)) : nil
        let outShape = NHWCLayout.nhwc(graph.tensors[output].shape)
        let (ho, wo) = (outShape[1], outShape[2])
        steps.append { [unowned self] values in
            let x = try nchw(input, values)
            var y = Ops.convTranspose2d(x, weight: weight, bias: bias, stride: sh)
            // TF's SAME/VALID: the full result cropped to the output size, the odd pixel cut at the bottom/right.
            if y.h != ho || y.w != wo {
                let top = padding == .same ? (y.h - ho) / 2 : 0
                let left = padding == .same ? (y.w - wo) / 2 : 0
                y = Ops.crop(y, top: top, left: left, height: ho, width: wo)
            }
            values[output] = .nchw(y)
        }
    }

    private func prepareBinary(_ op: TFLiteOperator, multiply: Bool) throws {
        let output = op.outputs[0]
        let (activation, bounds) = try fused(op)
        // Constant operands become NCHW tensors once ([C] → [1, C, 1, 1]).
        var constants: [Int: Tensor] = [:]
        for index in op.inputs where try isConstant(index) {
            constants[index] = NHWCLayout.tensor(fromNHWC: try constant(index, op), shape: graph.tensors[index].shape)
        }
        let (a, b) = (op.inputs[0], op.inputs[1])
        let rank4 = graph.tensors[output].shape.count == 4
        let shapesEqual = graph.tensors[a].shape == graph.tensors[b].shape
        guard rank4 || (shapesEqual && constants.isEmpty) else {
            throw fail(
                op,
                "broadcasting \(graph.tensors[a].shape) with \(graph.tensors[b].shape) below rank 4 is not supported")
        }
        steps.append { [unowned self] values in
            if rank4 {
                let x = try constants[a] ?? nchw(a, values)
                let y = try constants[b] ?? nchw(b, values)
                let z = multiply ? Ops.mul(x, y) : Ops.add(x, y)
                values[output] = .nchw(Self.finish(z, activation, bounds))
            } else {
                let x = try nhwcFlat(a, values)
                let y = try nhwcFlat(b, values)
                var z = zip(x, y).map { multiply ? $0 * $1 : $0 + $1 }
                switch op.options.activation ?? .none {
                case .relu: z = z.map { max($0, 0) }
                case .relu6: z = z.map { min(max($0, 0), 6) }
                default: break
                }
                values[output] = .flat(z, shape: graph.tensors[output].shape)
            }
        }
    }

    private func prepareConcatenation(_ op: TFLiteOperator) throws {
        let output = op.outputs[0]
        let inputs = op.inputs
        let outShape = graph.tensors[output].shape
        var axis = op.options.axis ?? 0
        if axis < 0 { axis += outShape.count }
        guard (0..<outShape.count).contains(axis) else { throw fail(op, "axis \(op.options.axis ?? 0) out of range") }
        let (activation, bounds) = try fused(op)
        if outShape.count == 4 && axis == 3 {
            steps.append { [unowned self] values in
                let parts = try inputs.map { try nchw($0, values) }
                values[output] = .nchw(Self.finish(Ops.concat(parts), activation, bounds))
            }
            return
        }
        guard bounds == nil, case .none = activation else {
            throw fail(op, "fused activation on a non-channel concatenation")
        }
        // Row-major concatenation: blocks of `inner` values per outer index.
        let outer = outShape[..<axis].reduce(1, *)
        let inners = inputs.map { graph.tensors[$0].shape[axis...].reduce(1, *) }
        steps.append { [unowned self] values in
            let parts = try inputs.map { try nhwcFlat($0, values) }
            var result: [Float] = []
            result.reserveCapacity(outShape.reduce(1, *))
            for o in 0..<outer {
                for (part, inner) in zip(parts, inners) { result += part[(o * inner)..<((o + 1) * inner)] }
            }
            store(&values, output, nhwc: result)
        }
    }
}
