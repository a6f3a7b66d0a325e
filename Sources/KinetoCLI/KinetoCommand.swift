import ArgumentParser
import KinetoPipeline

/// The `kineto` command line: one subcommand a type, each in its own file.
public struct KinetoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kineto",
        abstract: "Frame-rate up-conversion, slow motion and portrait animation with neural networks, on CPUs.",
        subcommands: [
            VersionCommand.self,
            BenchCommand.self,
            GoldenCommand.self,
            ModelsCommand.self,
            ProbeCommand.self,
            InterpolateCommand.self,
            SlowmoCommand.self,
            AnimateCommand.self,
            DaemonCommand.self,
            JobsCommand.self, WorkersCommand.self,
        ]
    )

    public init() {}
}

/// Prints Kineto's version.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Kineto's version.")

    func run() throws {
        print(KinetoVersion.string)
    }
}
