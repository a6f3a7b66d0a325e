import ArgumentParser
import Dispatch
import Foundation
import KinetoEngine
import KinetoMedia
import KinetoPipeline

/// `kineto bench media`: decode → blend to twice the rate → encode, Kineto against the `ffmpeg` CLI
/// doing the same job (`-vf framerate`, libx264 with the same CRF, preset and threads), on generated clips.
struct BenchMediaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract:
            "Time Kineto's blend interpolation (2x) against the ffmpeg CLI's framerate filter, same encoder settings."
    )

    @Option(help: "Clip heights to test, comma-separated (16:9 widths).")
    var sizes: String = "480,1080"

    @Option(help: "Seconds per generated clip.")
    var seconds: Double = 5

    @Option(help: "Input frame rate of the generated clips (the output is twice that).")
    var rate: Int = 30

    @Option(help: "x264 preset for both.")
    var preset: String = "medium"

    @Option(help: "x264 CRF for both.")
    var crf: Int = 18

    @Option(help: "Encoder threads for both (0: x264 decides).")
    var threads: Int = 0

    @Option(help: "Runs of each (the fastest counts).")
    var repeats: Int = 1

    @Option(help: "The ffmpeg executable.")
    var ffmpeg: String = "/usr/bin/ffmpeg"

    func validate() throws {
        guard seconds > 0, rate > 0, repeats >= 1, threads >= 0 else {
            throw ValidationError("--seconds, --rate and --repeats must be positive, --threads not negative")
        }
        guard FileManager.default.isExecutableFile(atPath: ffmpeg) else {
            throw ValidationError("no ffmpeg executable at \(ffmpeg); install ffmpeg or pass --ffmpeg PATH")
        }
    }

    func run() throws {
        let heights = sizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !heights.isEmpty, heights.allSatisfy({ $0 >= 16 }) else {
            throw ValidationError("--sizes: heights like 480,1080")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "kineto-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        print(
            "blend 2x, libx264 preset \(preset) CRF \(crf), encoder threads \(threads == 0 ? "auto" : String(threads)), \(ProcessInfo.processInfo.activeProcessorCount) cores; \(seconds) s clips at \(rate) fps; best of \(repeats)"
        )
        for height in heights {
            let width = (height * 16 / 9 + 1) / 2 * 2
            let input = directory.appendingPathComponent("in-\(height).mp4").path
            try runTool(
                ffmpeg,
                [
                    "-nostdin", "-y", "-loglevel", "error", "-f", "lavfi",
                    "-i", "testsrc2=size=\(width)x\(height):rate=\(rate):duration=\(seconds)",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "16", "-pix_fmt", "yuv420p", input,
                ])
            var kinetoBest = (seconds: Double.infinity, frames: Int64(0))
            var ffmpegBest = (seconds: Double.infinity, frames: Int64(0))
            // CPU seconds too: on a shared machine wall time depends on the neighbours, CPU time much less.
            var kinetoCPU = Double.infinity
            var ffmpegCPU = Double.infinity
            for attempt in 0..<repeats {
                let kinetoOut = directory.appendingPathComponent("kineto-\(height)-\(attempt).mp4").path
                let job = InterpolationJob(
                    input: input, output: kinetoOut, targetRate: .multiple(numerator: 2, denominator: 1),
                    method: .blend, codec: .h264, crf: crf, preset: preset, encoderThreads: threads)
                let cpuBefore = ProcessStatistics.cpuSeconds
                let result = try JobRunner.run(job)
                kinetoCPU = min(kinetoCPU, ProcessStatistics.cpuSeconds - cpuBefore)
                if result.elapsedSeconds < kinetoBest.seconds { kinetoBest = (result.elapsedSeconds, result.framesOut) }

                let ffmpegOut = directory.appendingPathComponent("ffmpeg-\(height)-\(attempt).mp4").path
                let started = DispatchTime.now().uptimeNanoseconds
                let childCPUBefore = ProcessStatistics.childrenCPUSeconds
                try runTool(
                    ffmpeg,
                    [
                        "-nostdin", "-y", "-loglevel", "error", "-i", input, "-vf", "framerate=fps=\(2 * rate)",
                        "-c:v", "libx264", "-crf", String(crf), "-preset", preset, "-threads", String(threads),
                        "-an", ffmpegOut,
                    ])
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                ffmpegCPU = min(ffmpegCPU, ProcessStatistics.childrenCPUSeconds - childCPUBefore)
                let frames =
                    try MediaReader(ffmpegOut).info.video.frameCount.map(Int64.init)
                    ?? Int64(Double(2 * rate) * seconds)
                if elapsed < ffmpegBest.seconds { ffmpegBest = (elapsed, frames) }
                try? FileManager.default.removeItem(atPath: kinetoOut)
                try? FileManager.default.removeItem(atPath: ffmpegOut)
            }
            let kinetoFPS = Double(kinetoBest.frames) / kinetoBest.seconds
            let ffmpegFPS = Double(ffmpegBest.frames) / ffmpegBest.seconds
            print(
                "\(width)x\(height): kineto \(format(kinetoFPS)) fps (\(kinetoBest.frames) frames in \(format(kinetoBest.seconds)) s), ffmpeg \(format(ffmpegFPS)) fps (\(ffmpegBest.frames) frames in \(format(ffmpegBest.seconds)) s), ratio \(String(format: "%.2f", kinetoFPS / ffmpegFPS))x; CPU \(format(kinetoCPU)) s vs \(format(ffmpegCPU)) s (\(String(format: "%.2f", ffmpegCPU / kinetoCPU))x)"
            )
        }
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }

    private func runTool(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PipelineError(
                .internal,
                "\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}
