import ArgumentParser
import Foundation
import KinetoEngine
import KinetoMedia
import KinetoModels
import KinetoPipeline

/// `kineto bench models`: seconds per interpolated frame of the networks at common video sizes.
struct BenchModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Seconds per interpolated frame of RIFE 4.25 at 480p, 720p and 1080p, with a per-stage profile."
    )

    @Option(help: "The network: rife or featureflow.")
    var model: String = "rife"

    @Option(
        help: "Frame sizes WxH, comma-separated (default: 640x480,1280x720,1920x1080; featureflow: 256x256,1280x720).")
    var sizes: String?

    @Option(help: "Timed runs per size after one warm-up (the best is reported).")
    var repeats: Int = 3

    @Option(help: "RIFE scale (0.25, 0.5, 1, 2, 4).")
    var scale: Double = 1

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Option(
        help:
            "Weights file (default: the installed model; featureflow also takes a deterministic-weights manifest .json)."
    )
    var weights: String?

    @Option(
        help:
            "Time RIFE on consecutive frames of this video (at its own size, --sizes is ignored) instead of a generated pattern: real motion costs more than a smooth shift."
    )
    var clip: String?

    @Option(help: "With --clip: the first frame to use (skips a black opening).")
    var clipStart: Int = 0

    @Flag(help: "Print the time of each stage (head, block0…4, merge) of the best run.")
    var profile = false

    @Flag(
        help:
            "Print every timed run's seconds (scripts/bench-peers reads them; other programs are compared there, measured in the same run)."
    )
    var listRuns = false

    func run() throws {
        if let threads {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
            Parallel.maxThreads = threads
        }
        let isFeatureFlow = ModelDescriptor.featureflow.matches(model)
        let sizeList = sizes ?? (isFeatureFlow ? "256x256,1280x720" : "640x480,1280x720,1920x1080")
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        var parsed = try sizeList.split(separator: ",").map { try BenchModelsCommand.parseSize(String($0)) }
        var clipFrames: [RGBImage] = []
        if let clip {
            guard clipStart >= 0 else { throw ValidationError("--clip-start must be at least 0") }
            guard !isFeatureFlow else { throw ValidationError("--clip times RIFE only") }
            let reader = try MediaReader(clip, options: ReaderOptions(passthrough: false))
            let converter = FrameConverter()
            var index = 0
            while clipFrames.count < repeats + 2, let frame = try reader.nextVideoFrame() {
                if index >= clipStart { clipFrames.append(try converter.rgbImage(from: frame)) }
                index += 1
            }
            guard clipFrames.count == repeats + 2 else {
                throw ValidationError(
                    "\(clip) has \(index) frames; --clip-start \(clipStart) and --repeats \(repeats) need \(clipStart + repeats + 2)"
                )
            }
            parsed = [(clipFrames[0].width, clipFrames[0].height)]
        }
        if isFeatureFlow { return try runFeatureFlow(sizes: parsed) }
        BenchModelsCommand.benchFaceModels(repeats: max(repeats, 5))
        let interpolator = try RIFEInterpolator(
            weights: try RIFEModelFiles.loadWeights(explicit: weights.map { URL(fileURLWithPath: $0) }),
            scale: scale)
        interpolator.network.profiling = profile
        print("RIFE 4.25, scale \(scale), OpenBLAS core \(BLASRuntime.coreName), threads \(Parallel.maxThreads)")
        for (width, height) in parsed {
            // A moving sequence: each timed pair shares one frame with the previous one, as in a video.
            let frames =
                clip != nil
                ? clipFrames
                : (0...(repeats + 1)).map {
                    BenchModelsCommand.frame(width: width, height: height, shift: Double(3 * $0))
                }
            var best = Double.infinity
            var bestCPU = Double.infinity
            var allSeconds: [Double] = []
            var allCPU: [Double] = []
            var bestProfile: [String: Double] = [:]
            _ = try interpolator.interpolate(frames[0], frames[1], at: 0.5)
            for k in 1...repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                let startCPU = ProcessStatistics.cpuSeconds
                _ = try interpolator.interpolate(frames[k], frames[k + 1], at: 0.5)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let cpu = ProcessStatistics.cpuSeconds - startCPU
                bestCPU = min(bestCPU, cpu)
                allSeconds.append(seconds)
                allCPU.append(cpu)
                if seconds < best {
                    best = seconds
                    bestProfile = interpolator.network.stageSeconds
                }
            }
            let (ph, pw) = interpolator.paddedSize(height: height, width: width)
            let line = String(
                format:
                    "rife %5dx%-5d (padded %dx%d): %.3f s/frame (best of %d; median %.3f), %.2f fps, CPU %.2f s (median %.2f), pool %d MB, max RSS %d MB",
                width, height, pw, ph, best, repeats, BenchModelsCommand.median(allSeconds), 1 / best, bestCPU,
                BenchModelsCommand.median(allCPU),
                interpolator.network.pool.allocatedBytes >> 20, ProcessStatistics.peakResidentMegabytes ?? 0)
            print(line)
            if listRuns {
                print("  runs (s): " + allSeconds.map { String(format: "%.4f", $0) }.joined(separator: " "))
            }
            if profile {
                let order = ["head", "block0", "block1", "block2", "block3", "block4", "merge"]
                print("  " + order.map { String(format: "%@ %.3f", $0, bestProfile[$0] ?? 0) }.joined(separator: ", "))
                let large = interpolator.network.pool.freeBuffers.filter { $0.capacity >= 1 << 20 }
                print(
                    "  free pool buffers of 4 MB or more: "
                        + large.map { "\($0.count) × \($0.capacity >> 18) MB" }.joined(separator: ", "))
            }
            let cores = Parallel.maxThreads
            let atOnce = min(cores, InterpolationMethod.rife.parallelFrames?(width, height, cores) ?? 1)
            if atOnce > 1 {
                let seconds = try BenchModelsCommand.framesAtOnce(
                    atOnce, first: interpolator, frames: frames, pairs: repeats)
                print(
                    String(
                        format:
                            "rife %5dx%-5d %d frames at once, %d thread%@ each (as jobs run them): %.3f s/frame, %.2f fps",
                        width, height, atOnce, cores / atOnce, cores / atOnce == 1 ? "" : "s", seconds, 1 / seconds))
            }
            interpolator.network.pool.trim()
        }
    }

    /// Seconds per frame of `workers` instances (siblings of `first`) making the pairs `frames[k], frames[k + 1]`,
    /// k = 1…`pairs`, in turns on their own threads, the cores shared out among them: the throughput of a job.
    static func framesAtOnce(_ workers: Int, first: RIFEInterpolator, frames: [RGBImage], pairs: Int) throws -> Double {
        // A whole number of pairs per worker, so that none waits for another's last one.
        let pairs = pairs >= workers ? pairs / workers * workers : pairs
        let models = [first] + (1..<workers).compactMap { _ in first.sibling() as? RIFEInterpolator }
        let threads = max(1, Parallel.maxThreads / workers)
        // A warm-up pair for each new sibling (its buffers), then the timed pairs.
        for model in models.dropFirst() {
            _ = try Parallel.withMaxThreads(threads) { try model.interpolate(frames[0], frames[1], at: 0.5) }
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let group = DispatchGroup()
        for (index, model) in models.enumerated() {
            group.enter()
            Thread {
                Parallel.withMaxThreads(threads) {
                    for k in stride(from: 1 + index, through: pairs, by: workers) {
                        _ = try? model.interpolate(frames[k], frames[k + 1], at: 0.5)
                    }
                }
                group.leave()
            }.start()
        }
        group.wait()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(pairs)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func parseSize(_ text: String) throws -> (Int, Int) {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
            throw ValidationError("size \"\(text)\" is not WxH (e.g. 1280x720)")
        }
        return (parts[0], parts[1])
    }

    /// A smooth textured frame moved `shift` pixels right and `shift / 2` down.
    static func frame(width: Int, height: Int, shift: Double) -> RGBImage {
        var pixels = [Float](repeating: 0, count: 3 * width * height)
        for c in 0..<3 {
            for y in 0..<height {
                let v = Double(y) - shift / 2
                for x in 0..<width {
                    let u = Double(x) - shift
                    let value = 0.5 + 0.25 * sin(u * 0.05 + Double(c)) * cos(v * 0.07) + 0.2 * sin((u + v) * 0.013)
                    pixels[(c * height + y) * width + x] = Float(value)
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
