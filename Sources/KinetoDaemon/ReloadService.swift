import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the configuration file on SIGHUP (`systemctl reload kineto`). A new file with mistakes is
/// refused as a whole, with every mistake logged, and the configuration in force stays.
/// Watches, models and limits change at once; the HTTP address and token need a restart.
public final class ReloadService: Service, @unchecked Sendable {
    private let config: ConfigBox
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let prepare: @Sendable (DaemonConfig) -> Void

    /// `prepare` runs before a valid new configuration is put in force (creates its folders).
    public init(
        config: ConfigBox, notifier: SystemdNotifier, logger: Logger,
        prepare: @escaping @Sendable (DaemonConfig) -> Void = { _ in }
    ) {
        self.config = config
        self.notifier = notifier
        self.logger = logger
        self.prepare = prepare
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                self.reload()
            }
        }
    }

    /// Reads the file again; returns whether the new configuration is now in force.
    @discardableResult
    public func reload() -> Bool {
        let old = config.current
        guard let path = old.sourcePath else {
            logger.warning("SIGHUP ignored: the configuration did not come from a file")
            return false
        }
        notifier.reloading()
        defer { notifier.ready() }
        do {
            var new = try DaemonConfig.load(path: path)
            if new.http != old.http || new.token != old.token || new.stateDirectory != old.stateDirectory {
                logger.warning("http, token and state_dir changes take effect at the next restart")
                new.http = old.http
                new.token = old.token
                new.stateDirectory = old.stateDirectory
            }
            prepare(new)
            config.current = new
            logger.info(
                "configuration reloaded",
                metadata: ["file": "\(path)", "watches": "\(new.watches.map(\.name).joined(separator: ","))"])
            return true
        } catch {
            logger.error("configuration NOT reloaded, the previous one stays in force:\n\(error)")
            return false
        }
    }
}
