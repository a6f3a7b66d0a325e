import CFFmpeg
import Foundation

/// Something wrong with a user's media or a destination: says which file, what, and what to do.
public struct MediaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of problem, for callers that react differently (exit codes, quarantine reasons).
    public enum Kind: String, Sendable, Codable {
        case fileNotFound, emptyFile, notMedia, noVideoStream, unsupportedCodec, unsupportedEncoder
        case truncated, corrupt, unwritableDestination, diskFull, sameAsInput, outputExists
        case network, invalidArgument, internalFailure
    }

    public let kind: Kind
    /// The file or URL concerned.
    public let path: String
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }

    /// FFmpeg's text for an error code (`av_strerror`).
    static func text(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        av_strerror(code, &buffer, buffer.count)
        return String(cString: buffer)
    }

    /// Maps a failing FFmpeg call during writing to an error; ENOSPC becomes `.diskFull`.
    static func writing(_ code: Int32, path: String, _ what: String) -> MediaError {
        if code == kineto_averror_enospc() {
            return MediaError(
                .diskFull, path: path, "\(what) failed: no space left on the device; free some space and run again")
        }
        return MediaError(.internalFailure, path: path, "\(what) failed: \(text(code))")
    }
}

/// Keeps FFmpeg's own console output to real errors, once per process.
enum FFmpegLogging {
    static let quiet: Void = {
        let level = ProcessInfo.processInfo.environment["KINETO_FFMPEG_LOG"].flatMap(Int32.init) ?? AV_LOG_FATAL
        kineto_set_log_level(level)
        // SVT-AV1 logs to stderr on its own, at info level unless SVT_LOG says otherwise (1: errors only).
        setenv("SVT_LOG", "1", 0)
        avformat_network_init()
    }()
}
