import Foundation
import KinetoEngine
import KinetoGolden
import KinetoModels
import KinetoTestSupport
import KinetoWeights
import Testing

/// MediaPipe's face models must be installed (`scripts/setup`); a missing model fails the test, it is not skipped.
private func requireMediaPipeModels() throws {
    for model in MediaPipeModel.allCases {
        guard (try? model.installedFile()) != nil else {
            Issue.record("MediaPipe model \(model.fileName) missing at \(model.path().path): run scripts/setup")
            throw GoldenError("MediaPipe models not installed: run scripts/setup")
        }
    }
}

@Suite struct FacesGoldenTests {
    /// Detector raw outputs, decoded best box, 468 landmarks, face flag and selfie mask of three photos within 1e-4
    /// of each output's largest magnitude (`FacesGoldenCheck.tolerance`) vs TFLite's reference kernels, through the
    /// same call as `kineto golden check faces`; landmarks also within 0.01 crop pixel.
    @Test func mediaPipeFaceModelsMatchTFLite() throws {
        try requireMediaPipeModels()
        let file = goldenDirectory().appendingPathComponent("faces-golden.safetensors")
        let report = try GoldenSuite.named("faces").run(file, nil)
        for entry in report.failures {
            Issue.record(
                "\(entry.name).\(entry.output): rel \(entry.relativeError) > \(entry.tolerance) \(entry.note ?? "")")
        }
        #expect(FacesGoldenCheck.tolerance == 1e-4)
        #expect(report.entries.count == 18)
        #expect(report.passed)
        for entry in report.entries where entry.output == "landmarks" {
            #expect(entry.maxAbsError < 0.01, "\(entry.name) landmarks off by \(entry.maxAbsError) px")
        }
    }

    /// `kineto golden check faces` checks the photos a file holds, whatever they are called: the tensors of two
    /// photos copied under other names give 12 entries under those names, all passing.
    @Test func facesCheckReadsItsPhotosFromTheFile() throws {
        try requireMediaPipeModels()
        let source = try SafeTensorsFile(
            contentsOf: goldenDirectory().appendingPathComponent("faces-golden.safetensors"))
        var writer = SafeTensorsWriter()
        for (photo, renamed) in [("biden", "portrait_a"), ("obama2", "someone else")] {
            for name in source.names where name.hasPrefix(photo + ".") {
                let entry = try source.entry(name)
                try writer.add(
                    renamed + name.dropFirst(photo.count), dtype: entry.dtype, shape: entry.shape,
                    bytes: try source.rawBytes(name))
            }
        }
        let scratch = try Scratch("kineto-faces")
        let file = URL(fileURLWithPath: scratch.path("faces.safetensors"))
        try writer.write(to: file)
        let report = try GoldenSuite.named("faces").run(file, nil)
        #expect(Set(report.entries.map(\.name)) == ["portrait_a", "someone else"])
        #expect(report.entries.count == 12)
        #expect(report.passed)
    }

    /// The weighted-NMS detector finds exactly one confident face in each photo, where the best raw box is.
    @Test func detectorFindsOneFacePerPhoto() throws {
        try requireMediaPipeModels()
        let golden = try GoldenFile.open(goldenDirectory().appendingPathComponent("faces-golden.safetensors"))
        let detector = try FaceDetector()
        for photo in ["obama", "obama2", "biden"] {
            let input = try #require(try golden.tensor("\(photo).detect_input"))
            let nchw = Ops.permuteNHWCToNCHW(input)
            let faces = try detector.detect(nchw)
            let box = try #require(try golden.tensor("\(photo).detect_box")).toArray()
            #expect(faces.count == 1, "\(photo): \(faces.count) faces")
            if let face = faces.first {
                #expect(
                    abs(face.centerX - box[0]) < 0.02 && abs(face.centerY - box[1]) < 0.02,
                    "\(photo): \(face) vs \(box)")
                #expect(
                    abs(face.width - box[2]) < 0.03 && abs(face.score - box[4]) < 1e-3, "\(photo): \(face) vs \(box)")
                #expect(face.keypoints.count == 6)
            }
        }
    }

    @Test func unsupportedInputShapeIsAnError() throws {
        try requireMediaPipeModels()
        let detector = try FaceDetector()
        #expect(throws: TFLiteGraphError.self) { try detector.raw(Tensor(zeros: [1, 3, 64, 64])) }
    }

    @Test func catalogueHoldsTheFaceModelsInOneDirectory() throws {
        for model in MediaPipeModel.allCases {
            #expect(ModelDescriptor.catalogue.contains(model.descriptor))
            #expect(model.descriptor.licence == "Apache-2.0" && model.descriptor.sha256?.count == 64)
            #expect(model.path(in: URL(fileURLWithPath: "/m")).path == "/m/mediapipe/\(model.fileName)")
        }
        #expect(try ModelStore.descriptor(named: "face-landmark") == .faceLandmark)
    }

    @Test func missingModelNamesSetup() throws {
        let scratch = try Scratch("kineto-no-models")
        let empty = scratch.directory
        do {
            _ = try FaceLandmarker(modelDirectory: empty)
            Issue.record("loading from an empty directory succeeded")
        } catch {
            #expect("\(error)".contains("run scripts/setup"))
        }
    }
}

extension Ops {
    /// A 1×H×W×C tensor's values as 1×C×H×W.
    fileprivate static func permuteNHWCToNCHW(_ x: Tensor) -> Tensor {
        let (h, w, c) = (x.shape[1], x.shape[2], x.shape[3])
        let v = x.toArray()
        var out = [Float](repeating: 0, count: v.count)
        for i in 0..<(h * w) { for ch in 0..<c { out[ch * h * w + i] = v[i * c + ch] } }
        return Tensor(shape: [1, c, h, w], values: out)
    }
}
