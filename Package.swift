// swift-tools-version:6.0
import PackageDescription

// Modules follow a frame's trip: media I/O → tensor engine → weight files → models → pipeline → CLI.
let package = Package(
    name: "Kineto",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kineto", targets: ["kineto"]),
        .library(name: "KinetoPipeline", targets: ["KinetoPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Thin C shims: headers and link flags only.
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libavutil-dev",
                                         "libswscale-dev", "libswresample-dev", "libavfilter-dev"])]),
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),

        // Decoding, encoding, probing, colour conversion (FFmpeg).
        .target(name: "KinetoMedia", dependencies: ["CFFmpeg"]),
        // Tensors and operators on OpenBLAS.
        .target(name: "KinetoEngine", dependencies: ["COpenBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Weight files: safetensors, PyTorch checkpoints, deterministic weights.
        .target(name: "KinetoWeights"),
        // Networks (RIFE, FeatureFlow) and classical interpolators.
        .target(name: "KinetoModels", dependencies: ["KinetoEngine", "KinetoWeights", "KinetoMedia"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Comparisons with reference tensors from the official implementations (`kineto golden check`).
        .target(name: "KinetoGolden", dependencies: ["KinetoEngine", "KinetoWeights", "KinetoModels"]),
        // Jobs: frame scheduling, bounded-queue pipeline, progress.
        .target(name: "KinetoPipeline", dependencies: ["KinetoMedia", "KinetoModels"]),
        // Command implementations (a library so tests can call them).
        .target(name: "KinetoCLI", dependencies: [
            "KinetoPipeline", "KinetoModels", "KinetoMedia", "KinetoEngine", "KinetoWeights", "KinetoGolden",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "kineto", dependencies: ["KinetoCLI"]),

        .testTarget(name: "KinetoMediaTests", dependencies: ["KinetoMedia"]),
        .testTarget(name: "KinetoEngineTests", dependencies: ["KinetoEngine", "KinetoWeights"]),
        .testTarget(name: "KinetoWeightsTests", dependencies: ["KinetoWeights"]),
        .testTarget(name: "KinetoModelsTests", dependencies: ["KinetoModels", "KinetoEngine", "KinetoWeights"]),
        .testTarget(name: "KinetoGoldenTests", dependencies: ["KinetoGolden", "KinetoEngine", "KinetoWeights", "KinetoModels"]),
        .testTarget(name: "KinetoPipelineTests", dependencies: ["KinetoPipeline", "KinetoMedia"]),
        .testTarget(name: "KinetoCLITests", dependencies: ["KinetoCLI"]),
    ],
    swiftLanguageModes: [.v5]
)
