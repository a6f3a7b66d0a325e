import Foundation
import KinetoEngine
import KinetoModels
import KinetoTestSupport
import KinetoWeights
import Testing

@Suite(.serialized) struct FeatureFlowImporterTests {
    static let checkpoints = goldenDirectory().appendingPathComponent("checkpoints")

    /// Both serializations of the small official-format files: every tensor they hold reads as the expected values
    /// (float16, shared storage at an offset, non-contiguous views included), under the prefixed names.
    @Test(arguments: ["legacy", "zip"]) func officialFormatTensorsReadExactly(format: String) throws {
        let source = try FeatureFlowImporter.source(
            checkpoint: Self.checkpoints.appendingPathComponent("FeFlow-\(format).ckpt"),
            bdcn: Self.checkpoints.appendingPathComponent("bdcn-\(format).pth"))
        let expected = try SafeTensorsFile(
            contentsOf: Self.checkpoints.appendingPathComponent("checkpoints-expected.safetensors"))
        var compared = 0
        for key in expected.names where !key.hasSuffix("num_batches_tracked") {
            let (file, path) = (key.split(separator: ":")[0], key.split(separator: ":")[1])
            let name: String
            if file == "bdcn" {
                name = "bdcn." + path
            } else if path.hasPrefix("state_dictGEN.") {
                name = "structure." + path.dropFirst("state_dictGEN.".count)
            } else {
                name = "detail." + path.dropFirst("state_dictDE.".count)
            }
            let actual = try #require(try source.weight(named: name), "\(name) missing")
            let reference = try expected.tensor(key)
            #expect(actual.shape == reference.shape, "\(name)")
            #expect(actual.values == reference.values, "\(name)")
            compared += 1
        }
        #expect(compared == 9)
    }

    /// The small files hold a few real keys only: the import must fail and list what is missing and what has the
    /// wrong shape, writing nothing.
    @Test(arguments: ["legacy", "zip"]) func incompleteCheckpointsAreReportedPrecisely(format: String) throws {
        let scratch = try Scratch("kineto-ff-import")
        let out = scratch.directory.appendingPathComponent("model")
        do {
            try FeatureFlowImporter.importOfficial(
                checkpoint: Self.checkpoints.appendingPathComponent("FeFlow-\(format).ckpt"),
                bdcn: Self.checkpoints.appendingPathComponent("bdcn-\(format).pth"), into: out)
            Issue.record("importing an incomplete checkpoint should fail")
        } catch let error as FeatureFlowWeightError {
            let required = FeatureFlowNetwork.requiredWeights()
            // Present with the right shape: conv1_4in, bn1.weight, dcn.emb.bias, conv_last.weight, the L3 offset/mask
            // bias, BDCN conv1_1 weight and bias (7); dcn.dcn.weight is there with the wrong shape.
            #expect(error.missing.count == required.count - 8)
            #expect(error.missing.contains("structure.dcn.emb.weight"))
            #expect(!error.missing.contains("structure.extract_features.conv1_4in.weight"))
            #expect(error.mismatched.count == 1)
            #expect(error.mismatched.first?.name == "structure.dcn.dcn.weight")
            #expect(error.mismatched.first?.found == [64, 8, 3, 3])
            #expect(error.mismatched.first?.expected == [512, 512, 3, 3])
            #expect(
                "\(error)".contains("wrong shape: structure.dcn.dcn.weight is [64, 8, 3, 3], expected [512, 512, 3, 3]")
            )
            #expect(
                !FileManager.default.fileExists(atPath: out.appendingPathComponent(FeatureFlowModelFiles.fileName).path)
            )
        }
    }

    @Test func notACheckpointIsAClearError() throws {
        let bdcn = Self.checkpoints.appendingPathComponent("bdcn-zip.pth")
        // BDCN's file has no state_dictGEN: naming the problem and the file.
        do {
            _ = try FeatureFlowImporter.source(checkpoint: bdcn, bdcn: bdcn)
            Issue.record("a BDCN file is not FeFlow.ckpt")
        } catch {
            #expect("\(error)".contains("state_dictGEN"))
            #expect("\(error)".contains("bdcn-zip.pth"))
        }
    }

    @Test func requiredWeightsCoverTheNetworkOnce() {
        let required = FeatureFlowNetwork.requiredWeights()
        #expect(Set(required.map(\.name)).count == required.count)
        #expect(
            required.contains {
                $0.name == "detail.reconstruct.recon_trunk.0.conv_block.4.weight" && $0.shape == [64, 64, 3, 3]
            })
        // Unused parts of the official networks are not required.
        #expect(!required.contains { $0.name.hasPrefix("structure.extract_features.net.layer3") })
        #expect(!required.contains { $0.name.hasPrefix("detail.extract_features.") })
        #expect(!required.contains { $0.name.hasPrefix("bdcn.features.conv2_1") })
    }

    /// A full-size checkpoint in the official layout (written by `scripts/featureflow_fullsize_checkpoint.py` from
    /// the golden manifest, with torch, both serializations) imports and reproduces the golden frame within 1e-3.
    /// The files are 500 MB each and not in git: the test runs when `KINETO_FEATUREFLOW_FULLSIZE_DIR` names
    /// their directory, and is reported as skipped (not as passed) otherwise.
    @Test(
        .enabled(
            if: ProcessInfo.processInfo.environment["KINETO_FEATUREFLOW_FULLSIZE_DIR"] != nil,
            "set KINETO_FEATUREFLOW_FULLSIZE_DIR to scripts/featureflow_fullsize_checkpoint.py's output"),
        arguments: ["legacy", "zip"])
    func fullSizeCheckpointReproducesTheGoldenFrame(format: String) throws {
        let dir = try #require(ProcessInfo.processInfo.environment["KINETO_FEATUREFLOW_FULLSIZE_DIR"])
        let base = URL(fileURLWithPath: dir)
        let scratch = try Scratch("kineto-ff-full")
        let out = scratch.directory.appendingPathComponent("model")
        let report = try FeatureFlowImporter.importOfficial(
            checkpoint: base.appendingPathComponent("FeFlow-\(format).ckpt"),
            bdcn: base.appendingPathComponent("bdcn-\(format).pth"), into: out)
        #expect(report.tensorCount == FeatureFlowNetwork.requiredWeights().count)
        #expect(report.ignoredCount > 0)
        #expect(try SHA256.hexDigest(ofFile: report.file) == report.sha256)
        let interpolator = try FeatureFlowModelFiles.makeInterpolator(explicit: report.file)
        let golden = try SafeTensorsFile(
            contentsOf: goldenDirectory().appendingPathComponent("featureflow-golden.safetensors"))
        func tensor(_ name: String) throws -> Tensor {
            let t = try golden.tensor(name)
            return Tensor(shape: t.shape, values: t.values)
        }
        let frame = interpolator.run(try tensor("input.img0"), try tensor("input.img1")).toArray()
        let expected = try golden.tensor("output.frame").values
        let maxError = zip(frame, expected).map { abs($0 - $1) }.max() ?? .infinity
        print("full-size \(format) checkpoint: output frame max abs error \(maxError)")
        #expect(maxError <= 1e-3)
    }
}
