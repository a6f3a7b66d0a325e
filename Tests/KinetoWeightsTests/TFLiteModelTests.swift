import Foundation
import KinetoTestSupport
import KinetoWeights
import Testing

/// MediaPipe's models from the mediapipe 0.10.21 wheel (`pip download --no-deps --only-binary=:all:
/// --python-version 3.11 --platform manylinux_2_28_x86_64 mediapipe==0.10.21`), found under $KINETO_MEDIAPIPE_DIR
/// or in the model store's mediapipe/ folder where `scripts/setup` installs them, flat or in the wheel's
/// mediapipe/modules/… layout. Missing models fail the tests: run `scripts/setup`.
private func mediapipeModel(_ module: String, _ name: String) -> URL? {
    var roots: [URL] = []
    if let dir = ProcessInfo.processInfo.environment["KINETO_MEDIAPIPE_DIR"] { roots.append(URL(fileURLWithPath: dir)) }
    roots += installedModelDirectories.map { $0.appendingPathComponent("mediapipe") }
    for root in roots {
        for relative in [name, "\(module)/\(name)", "mediapipe/modules/\(module)/\(name)"] {
            let url = root.appendingPathComponent(relative)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
    }
    return nil
}

private let detector = mediapipeModel("face_detection", "face_detection_short_range.tflite")
private let landmarker = mediapipeModel("face_landmark", "face_landmark.tflite")
private let segmenter = mediapipeModel("selfie_segmentation", "selfie_segmentation.tflite")
private let absent: Comment = "MediaPipe models not installed: set KINETO_MEDIAPIPE_DIR or run scripts/setup"

/// Operator counts by name.
private func histogram(_ graph: TFLiteSubgraph) -> [String: Int] {
    graph.operators.reduce(into: [:]) { $0[$1.name, default: 0] += 1 }
}

private func typeHistogram(_ graph: TFLiteSubgraph) -> [TFLiteTensorType: Int] {
    graph.tensors.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
}

/// Facts below were read from the same files with the TFLite schema's generated Python reader.
@Suite struct TFLiteModelTests {
    @Test
    func faceDetectionShortRange() throws {
        let model = try TFLiteModel(contentsOf: try #require(detector, absent))
        let graph = model.main
        #expect(model.version == 3)
        #expect(model.subgraphs.count == 1)
        #expect(graph.tensors.count == 250)
        #expect(graph.inputs.map { graph.tensors[$0].shape } == [[1, 128, 128, 3]])
        #expect(graph.inputs.map { graph.tensors[$0].name } == ["input"])
        #expect(graph.outputs.map { graph.tensors[$0].name } == ["regressors", "classificators"])
        #expect(graph.outputs.map { graph.tensors[$0].shape } == [[1, 896, 16], [1, 896, 1]])
        #expect(
            histogram(graph) == [
                "DEQUANTIZE": 74, "CONV_2D": 21, "RELU": 17, "DEPTHWISE_CONV_2D": 16, "ADD": 16,
                "PAD": 11, "MAX_POOL_2D": 3, "RESHAPE": 4, "CONCATENATION": 2,
            ])
        #expect(typeHistogram(graph) == [.float32: 165, .float16: 74, .int32: 11])

        let conv = graph.operators[2]
        #expect(conv.builtin == .conv2D)
        #expect(conv.inputs == [0, 224, 193])
        #expect(graph.tensors[224].shape == [24, 5, 5, 3])
        #expect(graph.tensors[224].name == "conv2d/Kernel_dequantize")
        #expect(conv.options.padding == .same)
        #expect(conv.options.strideW == 2 && conv.options.strideH == 2)
        #expect(conv.options.dilationW == 1)
        #expect(conv.options.activation == TFLiteActivation.none)
        // The kernel is float16 in buffer 1, dequantized by operator 1 (tolerance: exact, float16 → Float is exact).
        #expect(graph.producer(of: 224)?.builtin == .dequantize)
        let kernel = try #require(try model.constantValues(of: 224))
        #expect(kernel.count == 1800)
        #expect(Array(kernel.prefix(3)) == [0.046112060546875, 0.0335693359375, 0.0006499290466308594])
        #expect(abs(kernel.reduce(0.0) { $0 + Double(abs($1)) } - 115.17511975765228) < 1e-9)
        #expect(try model.constantValues(named: "conv2d/Bias").prefix(2) == [0.08843994140625, 0.1427001953125])
        // Every weight that a DEQUANTIZE makes is available as a constant; activations are not.
        for op in graph.operators where op.builtin == .dequantize {
            #expect(try model.constantValues(of: op.outputs[0])?.count == graph.tensors[op.outputs[0]].count)
        }
        #expect(try model.constantValues(of: 0) == nil)
        // Channel padding of the residual blocks: an INT32 constant; reshapes carry their shape as an option.
        let pad = graph.operators[18]
        #expect(pad.builtin == .pad)
        #expect(try model.constantIntegers(of: pad.inputs[1]) == [0, 0, 0, 0, 0, 0, 0, 4])
        #expect(graph.operators[158].builtin == .reshape)
        #expect(graph.operators[158].options.newShape == [1, -1, 1])
    }

    @Test
    func faceLandmark() throws {
        let model = try TFLiteModel(contentsOf: try #require(landmarker, absent))
        let graph = model.main
        #expect(model.description == "facemesh-lite.tflite.no_meta")
        #expect(graph.inputs.map { graph.tensors[$0].shape } == [[1, 192, 192, 3]])
        #expect(graph.outputs.map { graph.tensors[$0].shape } == [[1, 1, 1, 1404], [1, 1, 1, 1]])
        #expect(
            histogram(graph) == [
                "DEQUANTIZE": 113, "CONV_2D": 25, "PRELU": 23, "DEPTHWISE_CONV_2D": 20, "ADD": 20,
                "MAX_POOL_2D": 6, "PAD": 3,
            ])
        #expect(typeHistogram(graph) == [.float32: 211, .float16: 113, .int32: 3])
        let depthwise = graph.operators[7]
        #expect(depthwise.builtin == .depthwiseConv2D)
        #expect(
            depthwise.options.padding == .same && depthwise.options.strideW == 1
                && depthwise.options.depthMultiplier == 1)
        #expect(depthwise.inputs.map { graph.tensors[$0].shape } == [[1, 96, 96, 16], [1, 3, 3, 16], [16]])
        let pool = graph.operators[26]
        #expect(pool.builtin == .maxPool2D)
        #expect(
            pool.options.padding == .valid && pool.options.strideW == 2 && pool.options.filterWidth == 2
                && pool.options.filterHeight == 2)
    }

    @Test
    func selfieSegmentation() throws {
        let model = try TFLiteModel(contentsOf: try #require(segmenter, absent))
        let graph = model.main
        #expect(graph.inputs.map { graph.tensors[$0].shape } == [[1, 256, 256, 3]])
        #expect(graph.outputs.map { graph.tensors[$0].shape } == [[1, 256, 256, 1]])
        #expect(
            histogram(graph) == [
                "DEQUANTIZE": 110, "CONV_2D": 43, "HARD_SWISH": 11, "RELU": 22, "DEPTHWISE_CONV_2D": 11,
                "AVERAGE_POOL_2D": 10, "LOGISTIC": 11, "MUL": 10, "ADD": 14, "RESIZE_BILINEAR": 3,
                "CUSTOM:Convolution2DTransposeBias": 1,
            ])
        let transpose = graph.operators[244]
        #expect(transpose.customCode == "Convolution2DTransposeBias")
        #expect(transpose.inputs.map { graph.tensors[$0].shape } == [[1, 128, 128, 16], [1, 2, 2, 16], [1]])
        let parameters = try #require(transpose.transposeConvolutionBiasParameters)
        #expect(parameters.padding == .same && parameters.strideW == 2 && parameters.strideH == 2)
        for resize in graph.operators where resize.builtin == .resizeBilinear {
            #expect(resize.options.alignCorners == false && resize.options.halfPixelCenters == true)
        }
    }

    @Test func otherFilesAreNotModels() throws {
        try withTemporaryDirectory { dir in
            let text = dir.appendingPathComponent("model.tflite")
            try Data("not a model".utf8).write(to: text)
            let error = #expect(throws: WeightError.self) { _ = try TFLiteModel(contentsOf: text) }
            #expect(error?.description.contains("not a TFLite model") == true)
            #expect(throws: WeightError.self) { _ = try TFLiteModel(contentsOf: golden("frames/i0.png")) }
            // The right identifier but nonsense offsets.
            try Data([0xF0, 0xFF, 0xFF, 0x7F] + Array("TFL3".utf8) + [UInt8](repeating: 0xEE, count: 40)).write(
                to: text)
            #expect(throws: WeightError.self) { _ = try TFLiteModel(contentsOf: text) }
        }
    }

    /// Cut and flipped bytes at 50 deterministic positions: a load either succeeds (and every constant can be
    /// asked for) or throws a `WeightError`.
    @Test
    func fuzzedModelsNeverCrash() throws {
        let original = try [UInt8](Data(contentsOf: try #require(detector, absent)))
        try withTemporaryDirectory { dir in
            var state: UInt64 = 99
            func next(_ bound: Int) -> Int {
                state = DeterministicWeights.splitmix64(state)
                return Int(state % UInt64(bound))
            }
            let url = dir.appendingPathComponent("fuzz.tflite")
            var refused = 0
            for trial in 0..<50 {
                // The FlatBuffer's tables sit at the end of the file, after the weights.
                let position = trial % 2 == 0 ? original.count - 1 - next(20_000) : next(original.count)
                var flipped = original
                flipped[position] ^= UInt8(1 + next(255))
                for variant in [flipped, Array(original.prefix(position))] {
                    try Data(variant).write(to: url)
                    do {
                        let model = try TFLiteModel(contentsOf: url)
                        for graph in model.subgraphs.indices {
                            for tensor in model.subgraphs[graph].tensors.indices {
                                do { _ = try model.constantValues(of: tensor, in: graph) } catch is WeightError {
                                    refused += 1
                                }
                            }
                        }
                    } catch is WeightError {
                        refused += 1
                    }
                }
            }
            #expect(refused > 0)
        }
    }
}
