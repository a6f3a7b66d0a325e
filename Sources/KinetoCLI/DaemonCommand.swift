import ArgumentParser
import Foundation
import KinetoDaemon
import Logging

/// `kineto daemon --config PATH`: watched folders as a service (see Config/kineto.toml and
/// systemd/kineto.service).
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run the watch-folder service: videos dropped into watched folders come out interpolated.",
        discussion: """
            Runs until SIGTERM or Ctrl-C: running jobs are then stopped at their next frame, their temporary files \
            removed, and they go back to the queue. SIGHUP reloads the configuration (an invalid new file is \
            refused and the old one stays). Under systemd (Type=notify) it reports READY, STATUS and STOPPING and \
            feeds the watchdog only while jobs make progress.

            Exit codes: 0 stopped, 78 invalid configuration, 70 the service failed.
            """
    )

    @Option(help: "Configuration file (TOML).")
    var config: String = "/etc/kineto/kineto.toml"

    @Flag(help: "Only check the configuration and exit (0: valid).")
    var check = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        let loaded: DaemonConfig
        do {
            loaded = try DaemonConfig.load(path: config)
        } catch {
            CommandFailure.printError("kineto: invalid configuration:\n\(error)")
            throw ExitCode(78)
        }
        if check {
            print(
                "\(config): valid (\(loaded.watches.count) watch\(loaded.watches.count == 1 ? "" : "es"), http \(loaded.http))"
            )
            return
        }
        guard let level = Logger.Level(rawValue: logLevel.lowercased()) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "kineto")
        logger.logLevel = level
        do {
            let daemon = try Daemon(config: loaded, logger: logger)
            try await daemon.run()
        } catch {
            CommandFailure.printError("kineto: the daemon failed: \(error)")
            throw ExitCode(70)
        }
    }
}
