import ArgumentParser
import Foundation
import KinetoMedia
import KinetoPipeline

/// `kineto slowmo INPUT OUTPUT --factor 4`: slow motion with new frames made by a model.
struct SlowmoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slowmo",
        abstract: "Slow a video (or part of it) down, making the new frames with a model.",
        discussion: """
            The chosen range (--from/--to, default all) becomes FACTOR times longer, played at --fps (default: \
            the input's own rate, so FACTOR-1 of every FACTOR frames there are new). Audio is dropped, or with \
            --audio stretch slowed with the video, pitch kept, in sync. Subtitles are dropped. The output \
            appears only when complete; the input is never modified.

            Exit codes: 0 done, 64 usage error, 65 unusable input, 70 internal error, 73 output not writable, \
            130 interrupted (Ctrl-C, SIGTERM, or SIGHUP when the terminal closes).
            """
    )

    @Argument(help: "Input video file.")
    var input: String

    @Argument(help: "Output video file.")
    var output: String

    @Option(help: "How many times longer the range becomes: 2, 4, 8, 2.5 … (1 to 64).")
    var factor: String

    @Option(help: "Output frame rate: 60, 60000/1001, or a multiple of the input's rate (default: 1x, the input's).")
    var fps: String = "1x"

    @Option(
        help: "Start of the slowed range: seconds (12.5) or [HH:]MM:SS[.ms] from the start (default: the beginning).")
    var from: String?

    @Option(help: "End of the slowed range, as --from (default: the end).")
    var to: String?

    @Option(help: "Audio: drop (default) or stretch (slowed with the video, pitch kept).")
    var audio: String = SlowMotion.Audio.drop.rawValue

    @OptionGroup var options: JobOptions

    func run() throws {
        do {
            try options.run(try makeJob())
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    func makeJob() throws -> InterpolationJob {
        guard let factorValue = Self.parseFactor(factor) else {
            throw PipelineError(.usage, "--factor '\(factor)' is not a number from 1 to 64 (2, 4, 2.5, 10/3)")
        }
        let start = try from.map { try Self.parseTime($0, option: "--from") }
        let end = try to.map { try Self.parseTime($0, option: "--to") }
        guard let stretch = TimeStretch(factor: factorValue, start: start, end: end) else {
            throw PipelineError(.usage, "--to must come after --from")
        }
        guard let audioMode = SlowMotion.Audio(rawValue: audio.lowercased()) else {
            throw PipelineError(.usage, "--audio must be drop or stretch, not '\(audio)'")
        }
        var job = try options.makeJob(input: input, output: output, rate: try TargetRate(parsing: fps))
        job.slowMotion = SlowMotion(stretch: stretch, audio: audioMode)
        return job
    }

    /// A factor from 1 to 64 as an exact fraction: `4`, `2.5` (5/2), `10/3`.
    static func parseFactor(_ text: String) -> Rational? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let value: Rational
        if parts.count == 2, let n = Int64(parts[0]), let d = Int64(parts[1]), d > 0 {
            value = Rational(n, d)
        } else if parts.count == 1, let number = Double(text), number.isFinite {
            value = Rational(approximating: number, maxDenominator: 1000)
        } else {
            return nil
        }
        return value >= Rational(1) && value <= Rational(64) ? value : nil
    }

    /// Seconds (`12.5`) or `[HH:]MM:SS[.fraction]`.
    static func parseTime(_ text: String, option: String) throws -> Double {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        var seconds = 0.0
        guard (1...3).contains(fields.count) else {
            throw PipelineError(.usage, "\(option) '\(text)' is not a time; give seconds (12.5) or [HH:]MM:SS[.ms]")
        }
        for (index, field) in fields.enumerated() {
            guard let value = Double(field), value >= 0, value.isFinite,
                index == 0 || index == fields.count - 1 || value == value.rounded(), index == 0 || value < 60
            else {
                throw PipelineError(.usage, "\(option) '\(text)' is not a time; give seconds (12.5) or [HH:]MM:SS[.ms]")
            }
            seconds = seconds * 60 + value
        }
        return seconds
    }
}
