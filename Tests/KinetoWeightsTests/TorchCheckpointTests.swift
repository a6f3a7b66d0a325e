import Foundation
import KinetoTestSupport
import KinetoWeights
import Testing

@Suite struct TorchCheckpointTests {
    static let files = ["FeFlow-legacy.ckpt", "FeFlow-zip.ckpt", "bdcn-legacy.pth", "bdcn-zip.pth"]

    /// Every tensor of every golden checkpoint, in both serializations, equals the expected bytes exactly
    /// (tolerance: none — same dtype, same shape, same bytes).
    @Test(arguments: files)
    func loadsByteExact(file: String) throws {
        let checkpoint = try TorchCheckpoint(contentsOf: golden("checkpoints/\(file)"))
        #expect(checkpoint.format == (file.contains("zip") ? .zip : .legacy))
        let expected = try SafeTensorsFile(contentsOf: golden("checkpoints/checkpoints-expected.safetensors"))
        let stem = String(file.prefix { $0 != "-" })
        let dicts = stem == "FeFlow" ? ["state_dictGEN", "state_dictDE"] : [""]
        var compared = 0
        for dict in dicts {
            for (name, tensor) in try checkpoint.tensors(under: dict) {
                let key = "\(stem):\(dict.isEmpty ? "" : dict + ".")\(name)"
                let info = try expected.info(key)
                #expect(tensor.dtype == info.dtype, "\(key)")
                #expect(tensor.shape == info.shape, "\(key)")
                #expect(tensor.contiguousBytes() == (try expected.rawBytes(key)), "\(key)")
                // The same tensor reached by its full dotted path.
                #expect(try checkpoint.tensor(dict.isEmpty ? name : "\(dict).\(name)").shape == info.shape)
                compared += 1
            }
        }
        #expect(compared == expected.names.filter { $0.hasPrefix(stem + ":") }.count)
    }

    @Test func awkwardStorageCases() throws {
        for file in ["FeFlow-legacy.ckpt", "FeFlow-zip.ckpt"] {
            let checkpoint = try TorchCheckpoint(contentsOf: golden("checkpoints/\(file)"))
            let dcn = try checkpoint.tensor("state_dictGEN.dcn.dcn.weight")
            let emb = try checkpoint.tensor("state_dictGEN.dcn.emb.bias")
            #expect(dcn.storage === emb.storage, "two tensors sharing one storage")
            #expect(dcn.storageOffset == 512 * 9)
            #expect(emb.storageOffset == 0)
            let transposed = try checkpoint.tensor("state_dictGEN.generator.model.1.weight")
            #expect(!transposed.isContiguous)
            #expect(transposed.shape == [512, 4, 7, 7])
            let counter = try checkpoint.tensor("state_dictGEN.extract_features.net.bn1.num_batches_tracked")
            #expect(counter.dtype == .i64)
            #expect(counter.shape == [])
            #expect(counter.int64s() == [123456])
            let half = try checkpoint.tensor("state_dictDE.reconstruct.conv_last.weight")
            #expect(half.dtype == .f16)
            #expect(
                half.floats()
                    == (try SafeTensorsFile(contentsOf: golden("checkpoints/checkpoints-expected.safetensors")).floats(
                        "FeFlow:state_dictDE.reconstruct.conv_last.weight")))
        }
    }

    @Test func metadataSurvivesAsPlainValues() throws {
        for file in ["FeFlow-legacy.ckpt", "FeFlow-zip.ckpt"] {
            let checkpoint = try TorchCheckpoint(contentsOf: golden("checkpoints/\(file)"))
            let root = try #require(checkpoint.root.dictionary)
            #expect(
                root.keys == [
                    "Detail", "epoch", "timestamp", "trainBatchSz", "validationBatchSz", "learningRate",
                    "loss", "valLoss", "valPSNR", "state_dictGEN", "state_dictDE",
                ])
            #expect(checkpoint.root["Detail"]?.string == "End to end FeFlow.")
            #expect(checkpoint.root["epoch"]?.int == 41)
            #expect(checkpoint.root["learningRate"]?.double == 1e-5)
            #expect(checkpoint.root["loss"]?.elements?.compactMap(\.double) == [0.03, 0.029])
            // datetime(2019, 11, 20, 8, 30, 1) is kept, not executed: its constructor bytes are year (2 bytes), month, day, h, m, s, µs.
            guard case .object(let timestamp)? = checkpoint.root["timestamp"] else {
                Issue.record("timestamp is not opaque")
                continue
            }
            #expect(timestamp.typeName == "datetime.datetime")
            guard case .bytes(let raw)? = timestamp.arguments.first else {
                Issue.record("datetime without bytes")
                continue
            }
            #expect(raw.prefix(7) == [0x07, 0xE3, 11, 20, 8, 30, 1])
            #expect(checkpoint.root["state_dictGEN"]?.dictionary?.isOrdered == true)
            #expect(try checkpoint.tensors().count == 8)
            #expect(try checkpoint.tensors().first?.name == "state_dictGEN.extract_features.conv1_4in.weight")
        }
    }

    @Test func weightTensorsConvertToFloat() throws {
        let checkpoint = try TorchCheckpoint(contentsOf: golden("checkpoints/bdcn-legacy.pth"))
        let weights = try checkpoint.weightTensors()
        #expect(weights.map(\.name) == ["features.conv1_1.weight", "features.conv1_1.bias"])
        #expect(weights[1].values == DeterministicWeights.values("bdcn1b", count: 64, center: 0, scale: 0.1))
    }

    /// Converting both serializations to safetensors gives exactly the expected file's tensors.
    @Test func convertsToSafeTensors() throws {
        let expected = try SafeTensorsFile(contentsOf: golden("checkpoints/checkpoints-expected.safetensors"))
        for variant in ["legacy", "zip"] {
            var writer = SafeTensorsWriter(metadata: ["source": variant])
            for (stem, ext) in [("FeFlow", "ckpt"), ("bdcn", "pth")] {
                let checkpoint = try TorchCheckpoint(contentsOf: golden("checkpoints/\(stem)-\(variant).\(ext)"))
                for dict in stem == "FeFlow" ? ["state_dictGEN.", "state_dictDE."] : [""] {
                    for (name, tensor) in try checkpoint.tensors(under: String(dict.dropLast())) {
                        try writer.add("\(stem):\(dict)\(name)", tensor: tensor)
                    }
                }
            }
            try withTemporaryDirectory { dir in
                let url = dir.appendingPathComponent("converted.safetensors")
                try writer.write(to: url)
                let converted = try SafeTensorsFile(contentsOf: url)
                #expect(converted.names == expected.names)
                for name in expected.names {
                    #expect(try converted.rawBytes(name) == expected.rawBytes(name), "\(variant) \(name)")
                    #expect(try converted.info(name).dtype == expected.info(name).dtype)
                }
            }
        }
    }

    @Test func missingKeysNameFileAndKey() throws {
        let checkpoint = try TorchCheckpoint(contentsOf: golden("checkpoints/FeFlow-zip.ckpt"))
        let error = #expect(throws: WeightError.self) { _ = try checkpoint.tensor("state_dictGEN.no.such.weight") }
        #expect(error?.key == "state_dictGEN.no.such.weight")
        #expect(error?.description.contains("FeFlow-zip.ckpt") == true)
        let notTensor = #expect(throws: WeightError.self) { _ = try checkpoint.tensor("epoch") }
        #expect(notTensor?.description.contains("not a tensor") == true)
    }
}
