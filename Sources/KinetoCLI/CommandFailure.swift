import ArgumentParser
import Foundation
import KinetoPipeline

/// The process exit codes of `kineto` (sysexits.h values, so scripts can tell failures apart).
public enum KinetoExitCode {
    /// Bad command line: unknown option, invalid `--fps`, unknown model (ArgumentParser's own errors use it too).
    public static let usage: Int32 = 64
    /// The input cannot be used: missing, empty, not a video, unsupported codec, nothing decodable.
    public static let input: Int32 = 65
    /// A bug or an environment failure (out of memory, encoder failure).
    public static let `internal`: Int32 = 70
    /// The output cannot be written: exists without --overwrite, folder not writable, same file as the input.
    public static let output: Int32 = 73
    /// Interrupted (Ctrl-C, SIGTERM, SIGHUP); no output was left behind.
    public static let cancelled: Int32 = 130

    /// The exit code for a pipeline error's code.
    public static func code(for error: PipelineError) -> Int32 {
        switch error.code {
        case .usage: return usage
        case .input: return input
        case .output: return output
        case .cancelled: return cancelled
        case .internal: return `internal`
        }
    }
}

/// Prints a command's error on standard error and turns it into the process's exit code.
enum CommandFailure {
    static func exit(_ error: any Error) -> any Error {
        let pipelineError: PipelineError
        switch error {
        case let error as PipelineError: pipelineError = error
        case let error as ExitCode: return error
        default: pipelineError = PipelineError(.internal, "\(error)")
        }
        printError("kineto: error: \(pipelineError.description)")
        return ExitCode(KinetoExitCode.code(for: pipelineError))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
