/// Element types of TFLite tensors (`TensorType` in the schema).
public enum TFLiteTensorType: Int8, Sendable {
    case float32 = 0
    case float16 = 1
    case int32 = 2
    case uint8 = 3
    case int64 = 4
    case string = 5
    case bool = 6
    case int16 = 7
    case complex64 = 8
    case int8 = 9
    case float64 = 10
    case complex128 = 11
    case uint64 = 12
    case resource = 13
    case variant = 14
    case uint32 = 15
    case uint16 = 16
    case int4 = 17
    case bfloat16 = 18

    /// The matching element type for numeric tensors; nil for strings, complex numbers, int4 and handles.
    public var dtype: TensorDType? {
        switch self {
        case .float32: .f32
        case .float16: .f16
        case .bfloat16: .bf16
        case .float64: .f64
        case .int64: .i64
        case .int32: .i32
        case .int16: .i16
        case .int8: .i8
        case .uint64: .u64
        case .uint32: .u32
        case .uint16: .u16
        case .uint8: .u8
        case .bool: .bool
        default: nil
        }
    }
}

/// How a convolution or pooling pads its input (`Padding`).
public enum TFLitePadding: Int8, Sendable {
    case same = 0
    case valid = 1
}

/// Activation fused into an operator (`ActivationFunctionType`).
public enum TFLiteActivation: Int8, Sendable {
    case none = 0
    case relu = 1
    case reluN1To1 = 2
    case relu6 = 3
    case tanh = 4
    case signBit = 5
}

/// Affine quantization of a tensor: real = scale × (q − zeroPoint), per channel along `quantizedDimension`
/// when there are several scales.
public struct TFLiteQuantization: Sendable, Equatable {
    public let scale: [Float]
    public let zeroPoint: [Int64]
    public let quantizedDimension: Int
}

/// A tensor of a subgraph.
public struct TFLiteTensor: Sendable {
    /// Position in its subgraph's `tensors`.
    public let index: Int
    public let name: String
    public let shape: [Int]
    public let type: TFLiteTensorType
    /// Index into the model's buffers; buffer 0 is the empty sentinel (no data: an activation).
    public let buffer: Int
    public let quantization: TFLiteQuantization?
    public let isVariable: Bool

    public var count: Int { shape.reduce(1, *) }
}

/// One entry of the model's operator-code table.
public struct TFLiteOperatorCode: Sendable {
    public let builtin: TFLiteBuiltinOperator
    /// Name of a custom operator (builtin is `.custom`), e.g. MediaPipe's "Convolution2DTransposeBias".
    public let customCode: String?
    public let version: Int
}

/// Options of builtin operators that Kineto's models use; fields an operator does not have are nil.
public struct TFLiteOperatorOptions: Sendable, Equatable {
    /// The `BuiltinOptions` union tag (0: none), e.g. 1 Conv2DOptions, 2 DepthwiseConv2DOptions, 5 Pool2DOptions.
    public var unionType: UInt8 = 0
    public var padding: TFLitePadding?
    public var strideW: Int?
    public var strideH: Int?
    public var dilationW: Int?
    public var dilationH: Int?
    public var depthMultiplier: Int?
    public var filterWidth: Int?
    public var filterHeight: Int?
    public var activation: TFLiteActivation?
    /// Concatenation axis.
    public var axis: Int?
    /// Leaky ReLU slope.
    public var alpha: Float?
    /// Softmax beta.
    public var beta: Float?
    public var alignCorners: Bool?
    public var halfPixelCenters: Bool?
    /// Reshape's target shape, when given as an option.
    public var newShape: [Int]?
    public var keepNumDims: Bool?
    /// MirrorPad mode: 0 reflect, 1 symmetric.
    public var mirrorPadMode: Int?

    public init() {}
}

/// An operator of a subgraph: which code it runs, on which tensors, with which options.
public struct TFLiteOperator: Sendable {
    /// Position in its subgraph's `operators` (execution order).
    public let index: Int
    public let opcodeIndex: Int
    public let builtin: TFLiteBuiltinOperator
    public let customCode: String?
    /// Tensor indices; -1 marks an omitted optional input.
    public let inputs: [Int]
    public let outputs: [Int]
    public let options: TFLiteOperatorOptions
    /// Raw options of a custom operator.
    public let customOptions: [UInt8]

    /// "CONV_2D", or "CUSTOM:Name" for custom operators.
    public var name: String { customCode.map { "CUSTOM:\($0)" } ?? builtin.name }

    /// Padding and strides of MediaPipe's custom "Convolution2DTransposeBias" (its options are TFLite's C
    /// struct: padding 1 = same, 2 = valid, then stride width and height as little-endian Int32).
    public var transposeConvolutionBiasParameters: (padding: TFLitePadding, strideW: Int, strideH: Int)? {
        guard customCode == "Convolution2DTransposeBias", customOptions.count >= 12 else { return nil }
        func int32(_ i: Int) -> Int {
            Int(
                Int32(
                    bitPattern: UInt32(customOptions[i]) | UInt32(customOptions[i + 1]) << 8 | UInt32(
                        customOptions[i + 2]) << 16 | UInt32(customOptions[i + 3]) << 24))
        }
        let padding: TFLitePadding
        switch int32(0) {
        case 1: padding = .same
        case 2: padding = .valid
        default: return nil
        }
        return (padding, int32(4), int32(8))
    }
}

/// A graph of tensors and operators; the model's first subgraph is its main one.
public struct TFLiteSubgraph: Sendable {
    public let name: String
    public let tensors: [TFLiteTensor]
    public let inputs: [Int]
    public let outputs: [Int]
    public let operators: [TFLiteOperator]

    /// The first tensor called `name`.
    public func tensor(named name: String) -> TFLiteTensor? { tensors.first { $0.name == name } }

    /// The operator whose outputs include tensor `index`.
    public func producer(of index: Int) -> TFLiteOperator? { operators.first { $0.outputs.contains(index) } }
}
