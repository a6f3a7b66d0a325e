import ArgumentParser
import Foundation
import KinetoModels

/// `kineto models import featureflow --checkpoint FeFlow.ckpt --bdcn bdcn_pretrained_on_bsds500.pth`: converts
/// official weight files that cannot be downloaded automatically into the store.
struct ModelsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a model's official PyTorch checkpoint into the store (featureflow).",
        discussion:
            "Both PyTorch serializations are read (the legacy one and the zip one). Every tensor the network needs is checked by name and shape; all problems are listed."
    )

    @Argument(help: "The model: featureflow.")
    var model: String

    @Option(help: "FeatureFlow's FeFlow.ckpt (state_dictGEN + state_dictDE).")
    var checkpoint: String

    @Option(help: "BDCN's bdcn_pretrained_on_bsds500.pth.")
    var bdcn: String

    @Option(help: "Write into this directory instead of the model store.")
    var output: String?

    func run() throws {
        let descriptor = try ModelStore.descriptor(named: model)
        guard descriptor.id == ModelDescriptor.featureflow.id else {
            throw ValidationError(
                "only featureflow is imported from checkpoints; install \(descriptor.id) with `kineto models install`")
        }
        let checkpointURL = URL(fileURLWithPath: checkpoint)
        let bdcnURL = URL(fileURLWithPath: bdcn)
        let report: FeatureFlowImporter.Report
        if let output {
            report = try FeatureFlowImporter.importOfficial(
                checkpoint: checkpointURL, bdcn: bdcnURL,
                into: URL(fileURLWithPath: output))
        } else {
            report = try FeatureFlowImporter.importOfficial(
                checkpoint: checkpointURL, bdcn: bdcnURL, store: .standard())
        }
        print("imported featureflow → \(report.file.path)")
        print(
            "  \(report.tensorCount) tensors (\(report.valueCount) values); \(report.ignoredCount) checkpoint tensors not used by the forward pass were ignored"
        )
        print("  sha256 \(report.sha256)")
    }
}
