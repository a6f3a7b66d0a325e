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
        // The daemon: config, job store, service lifecycle, status HTTP, metrics, logs.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The shared job queue of a multi-host farm (`[daemon] store = "postgres://…"`).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // Thin C shims: headers and link flags only.
        .systemLibrary(
            name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
            providers: [
                .apt([
                    "libavformat-dev", "libavcodec-dev", "libavutil-dev",
                    "libswscale-dev", "libswresample-dev", "libavfilter-dev",
                ])
            ]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),

        // Hot loops in AVX2 intrinsics, chosen at run time (the binary stays baseline x86-64).
        .target(name: "CKinetoKernels"),

        // Decoding, encoding, probing, colour conversion (FFmpeg).
        .target(name: "KinetoMedia", dependencies: ["CFFmpeg"]),
        // Tensors and operators on OpenBLAS.
        .target(
            name: "KinetoEngine", dependencies: ["COpenBLAS", "CKinetoKernels"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Weight files: safetensors, PyTorch checkpoints, deterministic weights.
        .target(name: "KinetoWeights", dependencies: ["CKinetoKernels"]),
        // Networks (RIFE, FeatureFlow) and classical interpolators.
        .target(
            name: "KinetoModels", dependencies: ["KinetoEngine", "KinetoWeights", "KinetoMedia", "CKinetoKernels"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Timings and kernel comparisons for `kineto bench` (ops, vector kernels, FeatureFlow's stages): kept out of
        // the product modules, which expose what it needs with `package` access.
        .target(name: "KinetoBench", dependencies: ["KinetoEngine", "KinetoModels", "KinetoMedia", "COpenBLAS"]),
        // Comparisons with reference tensors from the official implementations (`kineto golden check`).
        .target(name: "KinetoGolden", dependencies: ["KinetoEngine", "KinetoWeights", "KinetoModels"]),
        // Jobs: frame scheduling, bounded-queue pipeline, progress.
        .target(name: "KinetoPipeline", dependencies: ["KinetoMedia", "KinetoModels"]),
        // Portrait animation: landmark retargeting (sketch) and mesh warping (coloring).
        .target(
            name: "KinetoPortrait", dependencies: ["KinetoPipeline", "KinetoMedia", "KinetoModels", "KinetoEngine"],
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]),
        // Watched folders as a service: config, job store, watcher, systemd notify, status HTTP.
        .target(
            name: "KinetoDaemon",
            dependencies: [
                "KinetoPipeline", "KinetoPortrait", "KinetoMedia", "KinetoModels",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]),
        // Command implementations (a library so tests can call them).
        .target(
            name: "KinetoCLI",
            dependencies: [
                "KinetoPipeline", "KinetoPortrait", "KinetoDaemon", "KinetoModels", "KinetoMedia", "KinetoEngine",
                "KinetoWeights", "KinetoGolden", "KinetoBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "kineto", dependencies: ["KinetoCLI"]),

        // What the test targets share: scratch folders, the ffmpeg/ffprobe runner, generated clips, fixture paths.
        .target(name: "KinetoTestSupport", path: "Tests/KinetoTestSupport"),
        .testTarget(name: "KinetoMediaTests", dependencies: ["KinetoMedia", "KinetoTestSupport"]),
        .testTarget(name: "KinetoEngineTests", dependencies: ["KinetoEngine", "KinetoWeights"]),
        .testTarget(name: "KinetoWeightsTests", dependencies: ["KinetoWeights", "KinetoTestSupport"]),
        .testTarget(
            name: "KinetoModelsTests",
            dependencies: [
                "KinetoModels", "KinetoEngine", "KinetoWeights", "KinetoGolden", "KinetoBench", "KinetoTestSupport",
            ]
        ),
        .testTarget(
            name: "KinetoGoldenTests",
            dependencies: [
                "KinetoGolden", "KinetoEngine", "KinetoWeights", "KinetoModels", "KinetoMedia", "KinetoTestSupport",
            ]),
        .testTarget(name: "KinetoPipelineTests", dependencies: ["KinetoPipeline", "KinetoMedia", "KinetoTestSupport"]),
        .testTarget(
            name: "KinetoPortraitTests",
            dependencies: ["KinetoPortrait", "KinetoPipeline", "KinetoMedia", "KinetoModels", "KinetoTestSupport"]),
        .testTarget(name: "KinetoCLITests", dependencies: ["KinetoCLI", "KinetoTestSupport"]),
        .testTarget(
            name: "KinetoDaemonTests",
            dependencies: ["KinetoDaemon", "KinetoPipeline", "KinetoMedia", "KinetoTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
