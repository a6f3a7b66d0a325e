import ArgumentParser
import Dispatch
import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels
import KinetoPipeline

/// `kineto bench pipeline`: a model's own seconds per frame against the whole job's (decode, convert,
/// infer, encode), and the job's peak memory, at named sizes.
struct BenchPipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract:
            "Time a model inside the full pipeline (2x, decode to encode) against the model alone; peak memory per size."
    )

    @Option(help: "The model.")
    var model: String = "rife"

    @Option(help: "Frame sizes, comma-separated WxH.")
    var sizes: String = "640x480,1280x720"

    @Option(help: "Seconds per generated clip (at --rate; 2x makes one new frame per input frame).")
    var seconds: Double = 1

    @Option(help: "Input frame rate of the generated clips.")
    var rate: Int = 30

    @Option(help: "RIFE's scale: 0.25, 0.5, 1, 2, 4.", transform: { try RIFEScale(parsing: $0) })
    var scale: RIFEScale?

    @Option(help: "x264 preset.")
    var preset: String = "medium"

    @Option(help: "Model weights file or folder.")
    var weights: String?

    func validate() throws {
        guard seconds > 0, rate > 0 else { throw ValidationError("--seconds and --rate must be positive") }
    }

    func run() throws {
        let method = try InterpolationMethodRegistry.standard.method(named: model)
        guard case .model(let make) = method.engine else {
            throw ValidationError("--model must name a network (rife, featureflow)")
        }
        let options = InterpolatorOptions(weightsPath: weights, rifeScale: scale)
        try method.check(options)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kineto-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        print(
            "\(model) 2x, \(rate) fps clips of \(seconds) s, libx264 \(preset) CRF 18, \(ProcessInfo.processInfo.activeProcessorCount) cores"
        )
        print("size        model s/frame   pipeline s/new frame   ratio   output fps   peak RSS")
        for size in sizes.split(separator: ",") {
            let parts = size.split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] >= 16, parts[1] >= 16 else {
                throw ValidationError("--sizes: sizes like 640x480")
            }
            let input = directory.appendingPathComponent("in-\(size).mp4").path
            try Self.tool([
                "-f", "lavfi", "-i", "testsrc2=size=\(size):rate=\(rate):duration=\(seconds)",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", input,
            ])

            // The model alone, on consecutive pairs as the pipeline feeds it (each call computes one new
            // frame's features and reuses the shared one's): mean of pairs 1→2, 2→3, 3→4 after a warm-up on 0→1.
            let modelSeconds: Double
            do {
                let reader = try MediaReader(input, options: ReaderOptions(passthrough: false))
                let converter = FrameConverter()
                var images: [RGBImage] = []
                while images.count < 5, let frame = try reader.nextVideoFrame() {
                    images.append(try converter.rgbImage(from: frame))
                }
                guard images.count == 5 else { throw ValidationError("the generated clip has fewer than five frames") }
                let interpolator = try make(options)
                _ = try interpolator.interpolate(images[0], images[1], at: 0.5)
                let started = DispatchTime.now().uptimeNanoseconds
                for i in 1..<4 { _ = try interpolator.interpolate(images[i], images[i + 1], at: 0.5) }
                modelSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 / 3
            }

            Self.resetPeakMemory()
            let job = InterpolationJob(
                input: input, output: directory.appendingPathComponent("out-\(size).mp4").path,
                targetRate: .multiple(numerator: 2, denominator: 1), method: method,
                interpolatorOptions: options, preset: preset)
            let result = try JobRunner.run(job)
            let peak = ProcessStatistics.peakResidentMegabytes ?? 0  // since the last reset
            let made = max(1, result.framesOut - result.framesPassedThrough)
            let perFrame = result.elapsedSeconds / Double(made)
            print(
                String(
                    format: "%-11@ %13.3f   %20.3f   %5.2f   %10.1f   %5d MB", String(size), modelSeconds, perFrame,
                    perFrame / modelSeconds, result.framesPerSecond, peak))
        }
    }

    /// Resets the kernel's record of this process's peak resident memory (Linux: `5` to clear_refs).
    static func resetPeakMemory() {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }

    static func tool(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-nostdin", "-y", "-loglevel", "error"] + arguments
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ValidationError("ffmpeg failed making a test clip") }
    }
}
