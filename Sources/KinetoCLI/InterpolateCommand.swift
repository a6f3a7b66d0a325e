import ArgumentParser
import Dispatch
import Foundation
import KinetoMedia
import KinetoPipeline

/// `kineto interpolate INPUT OUTPUT --fps RATE`: converts a video to another frame rate.
struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Convert a video to another frame rate, making the new frames with a model.",
        discussion: """
            The container follows OUTPUT's extension (.mp4, .mkv, .mov, .webm, .ts). Audio and subtitles are \
            copied (audio the container cannot hold is re-encoded). The output appears only when complete; \
            the input is never modified.

            Exit codes: 0 done, 64 usage error, 65 unusable input, 70 internal error, 73 output not writable, \
            130 interrupted (Ctrl-C, SIGTERM, or SIGHUP when the terminal closes).
            """
    )

    @Argument(help: "Input video file or URL (udp://…, http://…).")
    var input: String

    @Argument(help: "Output video file.")
    var output: String

    @Option(help: "Output frame rate: 60, 60000/1001, 29.97, or a multiple of the input's rate: 2x, 2.5x.")
    var fps: String

    @OptionGroup var options: JobOptions

    func run() throws {
        do {
            try options.run(try makeJob())
        } catch {
            throw CommandFailure.exit(error)
        }
    }

    func makeJob() throws -> InterpolationJob {
        try options.makeJob(input: input, output: output, rate: try TargetRate(parsing: fps))
    }
}

/// Turns Ctrl-C (SIGINT), SIGTERM and a closed terminal or SSH session (SIGHUP) into cancelling the job,
/// so the partial output is removed and the command exits 130.
final class InterruptWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private static let signals = [SIGINT, SIGTERM, SIGHUP]

    init(cancellation: CancellationToken) {
        for sig in Self.signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { cancellation.cancel() }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        for sig in Self.signals { signal(sig, SIG_DFL) }
    }
}
