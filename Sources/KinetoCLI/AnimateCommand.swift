import ArgumentParser
import Foundation
import KinetoMedia
import KinetoPipeline
import KinetoPortrait

extension RetargetMode: EnumerableFlag {
    public static func help(for value: RetargetMode) -> ArgumentHelp? {
        switch value {
        case .relative:
            return "Transfer the driver's motion relative to its first face frame onto the portrait's own face shape."
        case .absolute: return "Copy the driver's face shape and head angle (the portrait loses its proportions)."
        }
    }
}

extension PortraitCrop: ExpressibleByArgument {}

/// `kineto animate PORTRAIT DRIVING OUTPUT`: a still portrait animated by a driving video.
struct AnimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "animate",
        abstract: "Animate a still portrait with the head motion and expressions of a driving video.",
        discussion: """
            Landmarks of the driving face are retargeted onto the portrait's face (sketch): head pose and expression \
            relative to the driver's own face size and position, filtered separately, re-anchored at cuts, zoom \
            limited by --max-zoom. Then the whole portrait is warped onto them with one smooth triangle mesh (head, \
            hair, silhouette, background bending just around the head, frame border fixed) and the opening mouth is \
            filled from the driving video (coloring). The portrait's EXIF orientation and the driving video's display \
            rotation are applied; with several faces in the portrait the largest is animated. The output has the driving video's frame rate, duration and audio; it appears \
            only when complete.

            Exit codes: 0 done, 64 usage error, 65 unusable input (unreadable file, no face in the portrait or the \
            driving video), 70 internal error, 73 output not writable, 130 interrupted.
            """
    )

    @Argument(help: "The portrait: a photo (JPEG, PNG) with one face.")
    var portrait: String

    @Argument(help: "The driving video.")
    var driving: String

    @Argument(help: "Output video file.")
    var output: String

    @Option(
        help:
            "Output size in pixels: the square's side (--crop auto) or the longer side (--crop none). Default: the portrait's own resolution."
    )
    var size: Int?

    @Flag(help: "Retargeting mode.")
    var mode: RetargetMode = .relative

    @Option(help: "Framing: auto (a square around the face, hair and shoulders) or none (the whole portrait).")
    var crop: PortraitCrop = .auto

    @Option(
        help:
            "Most the driver's zooms and moves toward the camera may change the portrait's face size (relative mode; 1 keeps it fixed)."
    )
    var maxZoom: Float = 1.15

    @Option(
        help:
            "Largest head turn out of the picture's plane (nodding, turning aside) the portrait follows, in degrees (relative mode; a flat photo turned further reads as another face)."
    )
    var maxTurn: Float = 15

    @Flag(help: "Do not fill an opening mouth from the driving video.")
    var noMouthFill = false

    @OptionGroup var encoding: EncodingOptions

    @Flag(help: "Also measure landmark accuracy (AKD), identity, jitter and per-stage speed, and print them.")
    var report = false

    func validate() throws {
        if let size, !(16...4096).contains(size) { throw ValidationError("--size must be between 16 and 4096") }
        if !(maxZoom >= 1 && maxZoom <= 10) { throw ValidationError("--max-zoom must be between 1 and 10") }
        if !(maxTurn >= 1 && maxTurn <= 90) { throw ValidationError("--max-turn must be between 1 and 90 degrees") }
    }

    func run() throws {
        do {
            var job = PortraitAnimationJob(
                portrait: portrait, driving: driving, output: output, size: size, mode: mode, crop: crop,
                fillMouth: !noMouthFill, codec: try encoding.codecChoice(allowingSame: false, output: output),
                crf: encoding.crf, preset: encoding.preset, encoderThreads: encoding.threads,
                overwrite: encoding.overwrite, measure: report, maxZoom: maxZoom)
            job.maxTurnDegrees = maxTurn
            let result = try encoding.withJobControls { progress, cancellation in
                try PortraitAnimator.run(job, progress: progress, cancellation: cancellation)
            }
            for warning in result.warnings { CommandFailure.printError("kineto: warning: \(warning)") }
            print(
                "\(result.output): \(result.frames) frames \(result.width)×\(result.height) at \(result.frameRate) fps (face in \(result.framesWithFace)), \(result.encoderName), in "
                    + String(format: "%.1f s (%.1f fps)", result.elapsedSeconds, result.framesPerSecond))
            if report {
                print(Self.reportText(result))
                // Timings are noisy on a shared machine: say how busy it was and how much CPU this process used.
                let cpu = Double(clock()) / Double(CLOCKS_PER_SEC)
                var load = [Double](repeating: 0, count: 3)
                _ = getloadavg(&load, 3)
                print(
                    String(
                        format: "process CPU time %.2f s (%.1f ms/frame), load average %.2f %.2f %.2f, %d cores", cpu,
                        cpu / Double(max(result.frames, 1)) * 1000, load[0], load[1], load[2],
                        ProcessInfo.processInfo.activeProcessorCount))
            }
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    /// The measurements of a finished animation, one per line.
    static func reportText(_ result: PortraitAnimationResult) -> String {
        let s = result.stages
        let n = Double(max(result.frames, 1))
        func ms(_ seconds: Double) -> String { String(format: "%.2f ms/frame", seconds / n * 1000) }
        let work = s.decode + s.track + s.render + s.encode
        var lines = [
            "speed: \(String(format: "%.1f", n / max(s.setup + work, 1e-9))) frames/s end to end without measuring (setup \(String(format: "%.2f s", s.setup)), \(String(format: "%.1f", n / max(work, 1e-9))) frames/s after setup)",
            "  decode \(ms(s.decode)), track \(ms(s.track)), render \(ms(s.render)), encode \(ms(s.encode)), measure \(ms(s.measure))",
        ]
        if let m = result.metrics {
            lines.append(
                String(
                    format: "AKD: %.2f px at 256² (worst frame %.2f), face re-detected in %d of %d frames", m.akd,
                    m.akdMax, m.framesRedetected, m.framesMeasured))
            lines.append(
                String(
                    format:
                        "identity (3D face shape, pose removed, face-size units): output↔portrait %.4f, output↔driver %.4f, portrait↔driver %.4f",
                    m.identityDistance, m.outputToDrivingDistance, m.drivingIdentityDistance))
            lines.append(
                String(
                    format: "jitter: %.3f px at 256² on the output (retargeted landmarks %.3f)", m.outputJitter,
                    m.retargetedJitter))
        }
        return lines.joined(separator: "\n")
    }
}
