import Foundation

/// Shows a job's progress: on a terminal, one line rewritten in place (at most 10 times a second);
/// otherwise (a log file, a pipe, the daemon's journal) a plain line every `logInterval` seconds.
public final class ProgressPrinter: @unchecked Sendable {
    private let isTerminal: Bool
    private let logInterval: Double
    private let write: @Sendable (String) -> Void
    private let lock = NSLock()
    private var lastPrinted = -Double.infinity
    private var lineOpen = false

    /// - Parameters:
    ///   - isTerminal: whether to redraw one line; by default, whether standard error is a terminal.
    ///   - logInterval: seconds between plain log lines when not on a terminal.
    ///   - write: where text goes (standard error by default).
    public init(
        isTerminal: Bool = isatty(STDERR_FILENO) != 0, logInterval: Double = 5,
        write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.isTerminal = isTerminal
        self.logInterval = logInterval
        self.write = write
    }

    /// Call with every progress update; prints when enough time has passed since the last line.
    public func report(_ progress: JobProgress) {
        lock.lock()
        defer { lock.unlock() }
        let interval = isTerminal ? 0.1 : logInterval
        guard progress.elapsedSeconds - lastPrinted >= interval else { return }
        lastPrinted = progress.elapsedSeconds
        if isTerminal {
            write("\r\u{1B}[K" + ProgressPrinter.line(progress))
            lineOpen = true
        } else {
            write(ProgressPrinter.line(progress) + "\n")
        }
    }

    /// Ends the in-place line (call once when the job ends, before printing anything else).
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        if lineOpen { write("\n") }
        lineOpen = false
    }

    /// `frame 120/601 (20%), 35.2 fps, ETA 0:14` (without total: `frame 120, 35.2 fps`).
    public static func line(_ progress: JobProgress) -> String {
        var text = "frame \(progress.framesOut)"
        if let total = progress.totalFrames, let fraction = progress.fractionDone {
            text += "/\(total) (\(Int(fraction * 100))%)"
        }
        text += ", " + String(format: "%.1f", progress.framesPerSecond) + " fps"
        if let eta = progress.etaSeconds { text += ", ETA " + duration(eta) }
        return text
    }

    /// `0:14`, `12:05`, `1:02:03`.
    public static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }
}
