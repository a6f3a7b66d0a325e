import Foundation

/// The daemon's whole configuration (`kineto.toml`): the `[daemon]` table and the `[[watch]]` entries.
/// Built by `DaemonConfig.load(path:)`, which checks everything before the daemon starts (or, on
/// SIGHUP, before a new configuration replaces the old one).
public struct DaemonConfig: Sendable, Equatable {
    /// Where the job database, thumbnails and the default quarantine live.
    public var stateDirectory: String
    /// Where the status API and dashboard listen.
    public var http: HTTPAddress
    /// Bearer token the API requires (mandatory when `http` is not a loopback address).
    public var token: String?
    /// Jobs run at once (each uses all cores inside its model; 1 is right for most machines).
    public var concurrency: Int
    /// Attempts before a job is quarantined (the first run counts).
    public var maxAttempts: Int
    /// Seconds before the first retry; doubled for each further attempt.
    public var retryBackoffSeconds: Double
    /// Seconds a job may go without progress before it counts as stalled (the watchdog stops being fed).
    public var stallSeconds: Double
    public var watches: [WatchConfig]
    /// The job store: nil for SQLite in the state folder, else `postgres://USER@HOST[:PORT]/DATABASE`.
    public var store: String?
    /// File holding the store's password (else `KINETO_STORE_PASSWORD`, else none).
    public var storePasswordFile: String?
    /// This daemon's name among the workers of a shared queue (default: the host name).
    public var workerID: String?
    /// Seconds a claimed job stays this worker's without a heartbeat.
    public var leaseSeconds: Double = 60
    /// What this worker offers (`["big-ram", "gpu"]`): a watch's `workers` list names labels its jobs need.
    public var labels: [String] = []
    /// When this worker takes new jobs (nil: always).
    public var hours: TimeWindow?
    /// Whether this host scans the watched folders (false: a worker-only host that runs the jobs other
    /// hosts queued, with the watches' settings).
    public var watchFolders = true
    /// Days a job's report (its worker, attempts, warnings, timings) is kept.
    public var reportDays: Double = 30
    /// The file this was read from, when it came from a file.
    public var sourcePath: String?

    public static let defaultStateDirectory = "/var/lib/kineto"
    public static let defaultHTTP = HTTPAddress(host: "127.0.0.1", port: 8750)

    public init(
        stateDirectory: String = DaemonConfig.defaultStateDirectory, http: HTTPAddress = DaemonConfig.defaultHTTP,
        token: String? = nil, concurrency: Int = 1, maxAttempts: Int = 3, retryBackoffSeconds: Double = 30,
        stallSeconds: Double = 300, watches: [WatchConfig] = [], sourcePath: String? = nil
    ) {
        self.stateDirectory = stateDirectory
        self.http = http
        self.token = token
        self.concurrency = concurrency
        self.maxAttempts = maxAttempts
        self.retryBackoffSeconds = retryBackoffSeconds
        self.stallSeconds = stallSeconds
        self.watches = watches
        self.sourcePath = sourcePath
    }

    /// The watch called `name`.
    public func watch(named name: String) -> WatchConfig? { watches.first { $0.name == name } }

    /// Reads, parses and validates the file at `path`; every problem found is in the thrown `ConfigError`.
    public static func load(path: String) throws -> DaemonConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(
                file: path,
                "cannot read the configuration file (missing or not readable); see Config/kineto.toml for an example")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, "the configuration file is not UTF-8 text")
        }
        var config = try ConfigParser(text: text, file: path).parse()
        config.sourcePath = path
        try ConfigValidator(config: config, file: path, lines: ConfigLineIndex(text: text)).validate()
        return config
    }

    /// Parses and validates configuration text (tests; `file` names it in messages).
    public static func parse(_ text: String, file: String = "<string>", validate: Bool = true) throws -> DaemonConfig {
        let config = try ConfigParser(text: text, file: file).parse()
        if validate { try ConfigValidator(config: config, file: file, lines: ConfigLineIndex(text: text)).validate() }
        return config
    }
}
