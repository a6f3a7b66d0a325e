import Foundation

/// A TensorFlow Lite model (.tflite, a FlatBuffers file with identifier "TFL3"), memory-mapped: its graphs,
/// tensors and operators, and the constant data of weights (float16 weights dequantized on request).
public final class TFLiteModel: @unchecked Sendable {
    public let path: String
    /// Schema version (3 for every current model).
    public let version: Int
    public let description: String?
    public let operatorCodes: [TFLiteOperatorCode]
    /// At least one; the first is the main graph.
    public let subgraphs: [TFLiteSubgraph]
    /// Where each buffer's bytes are in the file (empty for buffers without data).
    private let buffers: [Range<Int>]
    private let mapping: MappedFile

    /// Reads and validates the model at `url`: every index (operator code, tensor, buffer) must exist.
    public init(contentsOf url: URL) throws {
        path = url.path
        mapping = try MappedFile(path: url.path)
        let bytes = UnsafeRawBufferPointer(start: mapping.base, count: mapping.size)
        guard bytes.count >= 8, Array(bytes[4..<8]) == Array("TFL3".utf8) else {
            throw WeightError(file: path, "not a TFLite model: no \"TFL3\" FlatBuffers identifier at byte 4")
        }
        let fb = FlatBuffer(bytes: bytes, file: path)
        let model = try fb.table(at: try fb.follow(0))
        version = Int(try model.scalar(0, default: UInt32(0)))
        description = try model.string(3)

        operatorCodes = try model.tables(1).map { code in
            // Codes above 127 live only in `builtin_code`; older files set only the deprecated byte.
            let deprecated = Int32(try code.scalar(0, default: Int8(0)))
            let builtin = try code.scalar(3, default: Int32(0))
            return TFLiteOperatorCode(
                builtin: TFLiteBuiltinOperator(rawValue: max(deprecated, builtin)),
                customCode: try code.string(1), version: Int(try code.scalar(2, default: Int32(1))))
        }

        var buffers: [Range<Int>] = []
        for (index, buffer) in try model.tables(4).enumerated() {
            if let (start, count) = try buffer.vector(0, elementSize: 1), count > 0 {
                buffers.append(start..<(start + count))
            } else {
                // Models over 2 GB keep data after the FlatBuffer: offset (from the file start) and size.
                let offset = try buffer.scalar(1, default: UInt64(0))
                let size = try buffer.scalar(2, default: UInt64(0))
                if offset > 1 {
                    guard offset <= UInt64(bytes.count), size <= UInt64(bytes.count) - offset else {
                        throw WeightError(
                            file: path, key: "buffer \(index)",
                            "data (\(size) bytes at \(offset)) lies outside the file (truncated?)")
                    }
                    buffers.append(Int(offset)..<Int(offset + size))
                } else {
                    buffers.append(0..<0)
                }
            }
        }
        self.buffers = buffers

        var subgraphs: [TFLiteSubgraph] = []
        for graph in try model.tables(2) {
            subgraphs.append(try Self.subgraph(graph, codes: operatorCodes, bufferCount: buffers.count, path: path))
        }
        guard !subgraphs.isEmpty else { throw WeightError(file: path, "TFLite model without a subgraph") }
        self.subgraphs = subgraphs
    }

    /// The main (first) subgraph.
    public var main: TFLiteSubgraph { subgraphs[0] }

    /// A copy of buffer `index`'s bytes (empty for activations' buffers).
    public func bufferBytes(_ index: Int) -> [UInt8] {
        guard buffers.indices.contains(index) else { return [] }
        return Array(
            UnsafeRawBufferPointer(start: mapping.base + buffers[index].lowerBound, count: buffers[index].count))
    }

    /// The values of a constant tensor as Float: float data converted, quantized integers dequantized, and a
    /// tensor computed by a DEQUANTIZE operator from a constant (MediaPipe's float16 weights) resolved to that
    /// constant's values. Nil for tensors computed at run time.
    public func constantValues(of tensorIndex: Int, in subgraphIndex: Int = 0) throws -> [Float]? {
        guard subgraphs.indices.contains(subgraphIndex), subgraphs[subgraphIndex].tensors.indices.contains(tensorIndex)
        else {
            throw WeightError(file: path, key: "tensor \(tensorIndex)", "no such tensor in subgraph \(subgraphIndex)")
        }
        let graph = subgraphs[subgraphIndex]
        let tensor = graph.tensors[tensorIndex]
        if let values = try storedValues(tensor) { return values }
        if let producer = graph.producer(of: tensorIndex), producer.builtin == .dequantize,
            let source = producer.inputs.first, graph.tensors.indices.contains(source),
            let values = try storedValues(graph.tensors[source])
        {
            guard values.count == tensor.count else {
                throw WeightError(
                    file: path, key: tensor.name,
                    "dequantized from \(values.count) values but has shape \(tensor.shape)")
            }
            return values
        }
        return nil
    }

    /// `constantValues` of the tensor called `name` in the main graph, or an error naming it.
    public func constantValues(named name: String) throws -> [Float] {
        guard let tensor = main.tensor(named: name) else {
            throw WeightError(file: path, key: name, "no tensor of this name")
        }
        guard let values = try constantValues(of: tensor.index) else {
            throw WeightError(file: path, key: name, "is not a constant")
        }
        return values
    }

    /// The values of a constant integer tensor (shapes, paddings, axes), widened to Int64; nil if not constant.
    public func constantIntegers(of tensorIndex: Int, in subgraphIndex: Int = 0) throws -> [Int64]? {
        guard subgraphs.indices.contains(subgraphIndex), subgraphs[subgraphIndex].tensors.indices.contains(tensorIndex)
        else {
            throw WeightError(file: path, key: "tensor \(tensorIndex)", "no such tensor in subgraph \(subgraphIndex)")
        }
        let tensor = subgraphs[subgraphIndex].tensors[tensorIndex]
        guard let range = try dataRange(tensor), let dtype = tensor.type.dtype else { return nil }
        guard let values = dtype.int64s(from: mapping.base + range.lowerBound, count: tensor.count) else {
            throw WeightError(file: path, key: tensor.name, "holds \(dtype.rawValue) values, not integers")
        }
        return values
    }

    /// The byte range of a tensor's constant data, checked against its shape; nil when it has none.
    private func dataRange(_ tensor: TFLiteTensor) throws -> Range<Int>? {
        guard buffers.indices.contains(tensor.buffer), !buffers[tensor.buffer].isEmpty else { return nil }
        let range = buffers[tensor.buffer]
        guard let dtype = tensor.type.dtype else {
            throw WeightError(file: path, key: tensor.name, "constant of type \(tensor.type) is not supported")
        }
        guard range.count == tensor.count * dtype.size else {
            throw WeightError(
                file: path, key: tensor.name,
                "shape \(tensor.shape) of \(dtype.rawValue) needs \(tensor.count * dtype.size) bytes, its buffer has \(range.count)"
            )
        }
        return range
    }

    private func storedValues(_ tensor: TFLiteTensor) throws -> [Float]? {
        guard let range = try dataRange(tensor), let dtype = tensor.type.dtype else { return nil }
        let base = mapping.base + range.lowerBound
        var values = dtype.floats(from: base, count: tensor.count)
        if !dtype.isFloatingPoint, let q = tensor.quantization, !q.scale.isEmpty {
            try dequantize(&values, tensor: tensor, quantization: q)
        }
        return values
    }

    private func dequantize(_ values: inout [Float], tensor: TFLiteTensor, quantization q: TFLiteQuantization) throws {
        let channels = q.scale.count
        guard
            channels == 1
                || (tensor.shape.indices.contains(q.quantizedDimension)
                    && tensor.shape[q.quantizedDimension] == channels),
            q.zeroPoint.isEmpty || q.zeroPoint.count == channels
        else {
            throw WeightError(
                file: path, key: tensor.name, "\(channels) quantization scales do not fit shape \(tensor.shape)")
        }
        let inner = channels == 1 ? values.count : tensor.shape[(q.quantizedDimension + 1)...].reduce(1, *)
        for i in values.indices {
            let c = channels == 1 ? 0 : (i / inner) % channels
            let zero = q.zeroPoint.isEmpty ? 0 : Float(q.zeroPoint[c])
            values[i] = q.scale[c] * (values[i] - zero)
        }
    }

    // MARK: Parsing

    private static func subgraph(_ graph: FlatBuffer.Table, codes: [TFLiteOperatorCode], bufferCount: Int, path: String)
        throws -> TFLiteSubgraph
    {
        let tensorTables = try graph.tables(0)
        var tensors: [TFLiteTensor] = []
        tensors.reserveCapacity(tensorTables.count)
        for (index, table) in tensorTables.enumerated() {
            let name = try table.string(3) ?? "tensor \(index)"
            let shape = try table.integers(0, as: Int32.self).map(Int.init)
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1.0, { $0 * Double($1) }) < 1e12 else {
                throw WeightError(file: path, key: name, "impossible shape \(shape)")
            }
            let rawType = try table.scalar(1, default: Int8(0))
            guard let type = TFLiteTensorType(rawValue: rawType) else {
                throw WeightError(file: path, key: name, "unknown tensor type \(rawType)")
            }
            let buffer = Int(try table.scalar(2, default: UInt32(0)))
            guard buffer < bufferCount || (buffer == 0 && bufferCount == 0) else {
                throw WeightError(file: path, key: name, "refers to buffer \(buffer) of \(bufferCount)")
            }
            var quantization: TFLiteQuantization?
            if let q = try table.table(4) {
                let scale = try q.floats(2)
                if !scale.isEmpty {
                    quantization = TFLiteQuantization(
                        scale: scale, zeroPoint: try q.integers(3, as: Int64.self),
                        quantizedDimension: Int(try q.scalar(6, default: Int32(0))))
                }
            }
            tensors.append(
                TFLiteTensor(
                    index: index, name: name, shape: shape, type: type, buffer: buffer,
                    quantization: quantization, isVariable: try table.bool(5)))
        }
        func indices(_ list: [Int32], _ what: String) throws -> [Int] {
            try list.map { i in
                guard i == -1 || (i >= 0 && Int(i) < tensors.count) else {
                    throw WeightError(file: path, key: what, "refers to tensor \(i) of \(tensors.count)")
                }
                return Int(i)
            }
        }
        var operators: [TFLiteOperator] = []
        for (index, table) in try graph.tables(3).enumerated() {
            let opcodeIndex = Int(try table.scalar(0, default: UInt32(0)))
            guard codes.indices.contains(opcodeIndex) else {
                throw WeightError(
                    file: path, key: "operator \(index)", "refers to operator code \(opcodeIndex) of \(codes.count)")
            }
            let code = codes[opcodeIndex]
            let what = "operator \(index) (\(code.customCode ?? code.builtin.name))"
            let customOptions: [UInt8] =
                try table.vector(5, elementSize: 1).map {
                    Array(UnsafeRawBufferPointer(rebasing: graph.buffer.bytes[$0.start..<($0.start + $0.count)]))
                } ?? []
            operators.append(
                TFLiteOperator(
                    index: index, opcodeIndex: opcodeIndex, builtin: code.builtin, customCode: code.customCode,
                    inputs: try indices(try table.integers(1, as: Int32.self), what),
                    outputs: try indices(try table.integers(2, as: Int32.self), what),
                    options: try options(table), customOptions: customOptions))
        }
        return TFLiteSubgraph(
            name: try graph.string(4) ?? "", tensors: tensors,
            inputs: try indices(try graph.integers(1, as: Int32.self), "subgraph inputs"),
            outputs: try indices(try graph.integers(2, as: Int32.self), "subgraph outputs"),
            operators: operators)
    }

    /// Decodes the builtin options union (tag in slot 3, table in slot 4) for the option tables Kineto uses.
    private static func options(_ op: FlatBuffer.Table) throws -> TFLiteOperatorOptions {
        var o = TFLiteOperatorOptions()
        o.unionType = try op.scalar(3, default: UInt8(0))
        guard o.unionType != 0, let t = try op.table(4) else { return o }
        func padding(_ slot: Int) throws -> TFLitePadding? {
            TFLitePadding(rawValue: try t.scalar(slot, default: Int8(0)))
        }
        func activation(_ slot: Int) throws -> TFLiteActivation? {
            TFLiteActivation(rawValue: try t.scalar(slot, default: Int8(0)))
        }
        func int(_ slot: Int, _ value: Int32 = 0) throws -> Int { Int(try t.scalar(slot, default: value)) }
        switch o.unionType {
        case 1:  // Conv2DOptions
            o.padding = try padding(0)
            o.strideW = try int(1)
            o.strideH = try int(2)
            o.activation = try activation(3)
            o.dilationW = try int(4, 1)
            o.dilationH = try int(5, 1)
        case 2:  // DepthwiseConv2DOptions
            o.padding = try padding(0)
            o.strideW = try int(1)
            o.strideH = try int(2)
            o.depthMultiplier = try int(3)
            o.activation = try activation(4)
            o.dilationW = try int(5, 1)
            o.dilationH = try int(6, 1)
        case 5:  // Pool2DOptions
            o.padding = try padding(0)
            o.strideW = try int(1)
            o.strideH = try int(2)
            o.filterWidth = try int(3)
            o.filterHeight = try int(4)
            o.activation = try activation(5)
        case 8:  // FullyConnectedOptions
            o.activation = try activation(0)
            o.keepNumDims = try t.bool(2)
        case 9:  // SoftmaxOptions
            o.beta = try t.float(0, default: 0)
        case 10:  // ConcatenationOptions
            o.axis = try int(0)
            o.activation = try activation(1)
        case 11, 21, 28, 29:  // Add, Mul, Sub, Div options
            o.activation = try activation(0)
        case 15:  // ResizeBilinearOptions (slots 0 and 1 are deprecated)
            o.alignCorners = try t.bool(2)
            o.halfPixelCenters = try t.bool(3)
        case 17:  // ReshapeOptions
            let shape = try t.integers(0, as: Int32.self)
            o.newShape = shape.isEmpty ? nil : shape.map(Int.init)
        case 49:  // TransposeConvOptions
            o.padding = try padding(0)
            o.strideW = try int(1)
            o.strideH = try int(2)
            o.activation = try activation(3)
        case 74:  // ResizeNearestNeighborOptions
            o.alignCorners = try t.bool(0)
            o.halfPixelCenters = try t.bool(1)
        case 75:  // LeakyReluOptions
            o.alpha = try t.float(0, default: 0)
        case 77:  // MirrorPadOptions
            o.mirrorPadMode = Int(try t.scalar(0, default: Int8(0)))
        default:
            break
        }
        return o
    }
}
