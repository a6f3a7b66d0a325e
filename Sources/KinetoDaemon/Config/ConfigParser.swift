import Foundation
import KinetoMedia
import KinetoModels
import KinetoPipeline
import TOMLKit

/// Turns TOML text into a `DaemonConfig`: types, unknown keys, allowed values. Checks that look at
/// the file system (folders exist, are writable, do not nest) are `ConfigValidator`'s.
struct ConfigParser {
    let text: String
    let file: String
    let lines: ConfigLineIndex

    init(text: String, file: String) {
        self.text = text
        self.file = file
        self.lines = ConfigLineIndex(text: text)
    }

    static let daemonKeys = [
        "state_dir", "http", "token", "concurrency", "max_attempts", "retry_backoff_seconds", "stall_seconds",
        "store", "store_password_file", "worker", "lease_seconds", "labels", "hours", "watch_folders", "report_days",
    ]
    static let watchKeys = [
        "name", "input", "output", "quarantine", "job", "fps", "model", "factor", "portrait", "codec", "crf",
        "preset", "container", "patterns", "stable_seconds", "after_success", "move_to", "rescan_seconds",
        "workers", "hours", "scale", "chunk_seconds",
    ]

    /// The model a watch uses when it names none. RIFE even where its weights are not installed yet: such a job fails
    /// with the install command in its report rather than quietly cross-fading (the command line, run by a person who
    /// sees its output, falls back to `blend` instead).
    static let defaultModel = InterpolationMethod.rife.name

    func parse() throws -> DaemonConfig {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, line: error.source.begin.line, "not valid TOML: \(error.description)")
        }
        var problems: [ConfigError.Problem] = []
        func problem(_ table: String, _ index: Int, _ key: String?, _ message: String) {
            problems.append(.init(line: lines.line(table: table, index: index, key: key), message))
        }
        let baseDirectory =
            file.hasPrefix("<")
            ? FileManager.default.currentDirectoryPath
            : (absolute(file, base: FileManager.default.currentDirectoryPath) as NSString).deletingLastPathComponent

        for key in root.keys where key != "daemon" && key != "watch" {
            problem(
                "", 0, key, "unknown key '\(key)' at the top level; the file has a [daemon] table and [[watch]] entries"
            )
        }

        var config = DaemonConfig()
        if let daemonValue = root["daemon"] {
            if let daemon = daemonValue.table {
                var reader = TableReader(table: daemon, name: "[daemon]", tableKey: "daemon", index: 0, lines: lines)
                reader.checkKeys(Self.daemonKeys)
                if let dir = reader.string("state_dir") { config.stateDirectory = absolute(dir, base: baseDirectory) }
                if let text = reader.string("http") {
                    if let address = HTTPAddress(parsing: text) {
                        config.http = address
                    } else {
                        reader.fail(
                            "http", "http = \"\(text)\" is not HOST:PORT (e.g. \"127.0.0.1:8750\", \"[::1]:8750\")")
                    }
                }
                config.token = reader.string("token")
                if let value = reader.int("concurrency") {
                    if value >= 1 {
                        config.concurrency = value
                    } else {
                        reader.fail("concurrency", "concurrency must be at least 1")
                    }
                }
                if let value = reader.int("max_attempts") {
                    if value >= 1 {
                        config.maxAttempts = value
                    } else {
                        reader.fail("max_attempts", "max_attempts must be at least 1")
                    }
                }
                if let value = reader.number("retry_backoff_seconds") {
                    if value >= 0 {
                        config.retryBackoffSeconds = value
                    } else {
                        reader.fail("retry_backoff_seconds", "retry_backoff_seconds must not be negative")
                    }
                }
                if let value = reader.number("stall_seconds") {
                    if value >= 10 {
                        config.stallSeconds = value
                    } else {
                        reader.fail("stall_seconds", "stall_seconds must be at least 10")
                    }
                }
                if let text = reader.string("store") {
                    if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                        do {
                            _ = try PostgresLocation(url: text, password: nil)
                            config.store = text
                        } catch { reader.fail("store", "\(error)") }
                    } else if text != "sqlite" {
                        reader.fail(
                            "store",
                            "store = \"\(text)\" is unknown; use \"sqlite\" (default: the state folder) or \"postgres://USER@HOST[:PORT]/DATABASE\""
                        )
                    }
                }
                config.storePasswordFile = reader.string("store_password_file").map {
                    absolute($0, base: baseDirectory)
                }
                if let worker = reader.string("worker") {
                    if worker.isEmpty || worker.count > 64 || worker.contains(where: { $0.isWhitespace || $0 == "/" }) {
                        reader.fail("worker", "worker must be 1 to 64 characters without spaces or '/'")
                    } else {
                        config.workerID = worker
                    }
                }
                if let list = reader.stringArray("labels") { config.labels = list }
                if let text = reader.string("hours") {
                    if let window = TimeWindow(parsing: text) {
                        config.hours = window
                    } else {
                        reader.fail("hours", "hours = \"\(text)\" is not a daily window like \"22:00-07:00\"")
                    }
                }
                if let value = reader.bool("watch_folders") { config.watchFolders = value }
                if let value = reader.number("report_days") {
                    if value > 0 {
                        config.reportDays = value
                    } else {
                        reader.fail("report_days", "report_days must be more than 0")
                    }
                }
                if let value = reader.number("lease_seconds") {
                    if value >= 1 {
                        config.leaseSeconds = value
                    } else {
                        reader.fail("lease_seconds", "lease_seconds must be at least 1")
                    }
                }
                problems += reader.problems
            } else {
                problem("", 0, "daemon", "'daemon' must be a table: write [daemon] on its own line")
            }
        }

        var watchTables: [TOMLTable] = []
        if let watchValue = root["watch"] {
            if let array = watchValue.array {
                for element in array {
                    if let table = element.table {
                        watchTables.append(table)
                    } else {
                        problem("", 0, "watch", "'watch' entries must be tables: write [[watch]] before each one")
                    }
                }
            } else {
                problem("", 0, "watch", "'watch' must be a list of tables: write [[watch]] before each entry")
            }
        }
        if watchTables.isEmpty && problems.isEmpty {
            problems.append(.init("no [[watch]] entry: add at least one with input = and output = folders"))
        }
        for (index, table) in watchTables.enumerated() {
            var reader = TableReader(
                table: table, name: "[[watch]] #\(index + 1)", tableKey: "watch", index: index, lines: lines)
            reader.checkKeys(Self.watchKeys)
            let input = reader.string("input").map { absolute($0, base: baseDirectory) }
            let output = reader.string("output").map { absolute($0, base: baseDirectory) }
            if input == nil { reader.fail(nil, "\(reader.name) needs input = \"/folder/to/watch\"") }
            if output == nil { reader.fail(nil, "\(reader.name) needs output = \"/folder/for/results\"") }
            let name = reader.string("name") ?? input.map { ($0 as NSString).lastPathComponent } ?? "watch\(index + 1)"
            let quarantine =
                reader.string("quarantine").map { absolute($0, base: baseDirectory) }
                ?? (config.stateDirectory as NSString).appendingPathComponent("quarantine/\(name)")
            var job = JobKind.interpolate
            if let text = reader.string("job") {
                if let kind = JobKind(rawValue: text.lowercased()) {
                    job = kind
                } else {
                    reader.fail(
                        "job",
                        "job = \"\(text)\" is unknown; use \(JobKind.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or "))"
                    )
                }
            }
            let fps = reader.string("fps") ?? "2x"
            if (try? TargetRate(parsing: fps)) == nil {
                reader.fail(
                    "fps", "fps = \"\(fps)\" is not a frame rate; use e.g. \"2x\", \"60\", \"60000/1001\" or \"29.97\"")
            }
            let model = reader.string("model") ?? Self.defaultModel
            if (try? InterpolationMethodRegistry.standard.method(named: model)) == nil {
                reader.fail(
                    "model",
                    "model = \"\(model)\" is unknown; this build has \(InterpolationMethodRegistry.standard.names.joined(separator: ", "))"
                )
            }
            var rifeScale: RIFEScale?
            if let value = reader.number("scale") {
                if model.lowercased() != InterpolationMethod.rife.name {
                    reader.fail("scale", "scale applies to model = \"rife\" only, not to \"\(model)\"")
                } else if let scale = RIFEScale(value) {
                    rifeScale = scale
                } else {
                    reader.fail("scale", "scale = \(value) is not one of 0.25, 0.5, 1, 2, 4 (0.5 for 4K)")
                }
            }
            var factor = 2
            if let value = reader.int("factor") {
                if (2...64).contains(value) {
                    factor = value
                } else {
                    reader.fail("factor", "factor must be a whole number from 2 to 64")
                }
            }
            let portrait = reader.string("portrait").map { absolute($0, base: baseDirectory) }
            if job == .animate {
                if let portrait {
                    if !FileManager.default.isReadableFile(atPath: portrait) {
                        reader.fail("portrait", "portrait = \"\(portrait)\" is not a readable file")
                    }
                } else {
                    reader.fail(nil, "\(reader.name) has job = \"animate\" and needs portrait = \"/path/to/photo.jpg\"")
                }
            } else if portrait != nil {
                reader.fail("portrait", "portrait is only used with job = \"animate\"")
            }
            var codec = VideoCodecChoice.h264
            if let text = reader.string("codec") {
                if let choice = VideoCodecChoice(rawValue: text.lowercased()) {
                    codec = choice
                } else {
                    reader.fail(
                        "codec",
                        "codec = \"\(text)\" is unknown; use one of \(VideoCodecChoice.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
            }
            let crf = reader.int("crf")
            if let crf, !(0...63).contains(crf) { reader.fail("crf", "crf must be between 0 and 63") }
            let preset = reader.string("preset")
            var container = "mp4"
            if let text = reader.string("container") {
                let cleaned = text.hasPrefix(".") ? String(text.dropFirst()) : text
                if ["mp4", "mkv", "mov", "webm", "ts", "m4v"].contains(cleaned.lowercased()) {
                    container = cleaned.lowercased()
                } else {
                    reader.fail("container", "container = \"\(text)\" is unknown; use mp4, mkv, mov, webm or ts")
                }
            }
            var patterns = WatchConfig.defaultPatterns
            if let list = reader.stringArray("patterns") {
                if list.isEmpty {
                    reader.fail("patterns", "patterns must name at least one glob, e.g. [\"*.mp4\"]")
                } else {
                    patterns = list
                }
            }
            var stable = 10.0
            if let value = reader.number("stable_seconds") {
                if value >= 0 {
                    stable = value
                } else {
                    reader.fail("stable_seconds", "stable_seconds must not be negative")
                }
            }
            var rescan = 60.0
            if let value = reader.number("rescan_seconds") {
                if value >= 0.1 {
                    rescan = value
                } else {
                    reader.fail("rescan_seconds", "rescan_seconds must be at least 0.1")
                }
            }
            var afterSuccess = AfterSuccess.keep
            let moveTo = reader.string("move_to").map { absolute($0, base: baseDirectory) }
            if let text = reader.string("after_success") {
                switch text.lowercased() {
                case "keep": afterSuccess = .keep
                case "delete": afterSuccess = .delete
                case "move":
                    if let moveTo {
                        afterSuccess = .move(to: moveTo)
                    } else {
                        reader.fail("after_success", "after_success = \"move\" needs move_to = \"/folder\"")
                    }
                default:
                    reader.fail(
                        "after_success",
                        "after_success = \"\(text)\" is unknown; use \"keep\" (default), \"move\" (with move_to) or \"delete\""
                    )
                }
            }
            if moveTo != nil, case .keep = afterSuccess, reader.string("after_success") == nil {
                reader.fail("move_to", "move_to is set but after_success is not \"move\"; add after_success = \"move\"")
            }
            let requiredLabels = reader.stringArray("workers") ?? []
            var hours: TimeWindow?
            if let text = reader.string("hours") {
                if let window = TimeWindow(parsing: text) {
                    hours = window
                } else {
                    reader.fail("hours", "hours = \"\(text)\" is not a daily window like \"22:00-07:00\"")
                }
            }
            let chunkSeconds = readChunkSeconds(&reader, job: job)
            problems += reader.problems
            if let input, let output,
                let watch = try? WatchConfig(
                    name: name, input: input, output: output, quarantine: quarantine, job: job, fps: fps, model: model,
                    factor: factor, codec: codec, crf: crf, preset: preset, container: container, patterns: patterns,
                    stableSeconds: stable, afterSuccess: afterSuccess, rescanSeconds: rescan, portrait: portrait)
            {
                var watch = watch
                watch.requiredLabels = requiredLabels
                watch.rifeScale = rifeScale
                watch.hours = hours
                watch.chunkSeconds = chunkSeconds
                config.watches.append(watch)
            }
        }
        if !problems.isEmpty { throw ConfigError(file: file, problems: problems) }
        return config
    }

    /// `chunk_seconds`: 0 or absent is off; chunks shorter than 10 s would spend more on seeking than they save.
    private func readChunkSeconds(_ reader: inout TableReader, job: JobKind) -> Double? {
        guard let value = reader.number("chunk_seconds"), value != 0 else { return nil }
        guard value >= 10 else {
            reader.fail("chunk_seconds", "chunk_seconds must be 0 (off) or at least 10")
            return nil
        }
        guard job == .interpolate else {
            reader.fail("chunk_seconds", "chunk_seconds splits interpolate jobs only; remove it from this watch")
            return nil
        }
        return value
    }

    private func absolute(_ path: String, base: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let full = expanded.hasPrefix("/") ? expanded : (base as NSString).appendingPathComponent(expanded)
        return (full as NSString).standardizingPath
    }
}

/// Reads typed values out of one table, recording a problem for each wrong type or unknown key.
struct TableReader {
    let table: TOMLTable
    let name: String
    let tableKey: String
    let index: Int
    let lines: ConfigLineIndex
    var problems: [ConfigError.Problem] = []

    init(table: TOMLTable, name: String, tableKey: String, index: Int, lines: ConfigLineIndex) {
        self.table = table
        self.name = name
        self.tableKey = tableKey
        self.index = index
        self.lines = lines
    }

    mutating func fail(_ key: String?, _ message: String) {
        problems.append(.init(line: lines.line(table: tableKey, index: index, key: key), message))
    }

    mutating func checkKeys(_ known: [String]) {
        for key in table.keys where !known.contains(key) {
            let suggestion = known.min { editDistance($0, key) < editDistance($1, key) }
            let hint = suggestion.map { editDistance($0, key) <= 2 ? " (did you mean '\($0)'?)" : "" } ?? ""
            fail(key, "unknown key '\(key)' in \(name)\(hint); known keys: \(known.joined(separator: ", "))")
        }
    }

    mutating func string(_ key: String) -> String? {
        guard let value = table[key] else { return nil }
        guard let string = value.string else {
            fail(key, "\(key) in \(name) must be a string in quotes")
            return nil
        }
        return string
    }

    mutating func int(_ key: String) -> Int? {
        guard let value = table[key] else { return nil }
        guard let int = value.int else {
            fail(key, "\(key) in \(name) must be a whole number")
            return nil
        }
        return int
    }

    mutating func number(_ key: String) -> Double? {
        guard let value = table[key] else { return nil }
        if let int = value.int { return Double(int) }
        guard let double = value.double else {
            fail(key, "\(key) in \(name) must be a number")
            return nil
        }
        return double
    }

    mutating func bool(_ key: String) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let bool = value.bool else {
            fail(key, "\(key) in \(name) must be true or false")
            return nil
        }
        return bool
    }

    mutating func stringArray(_ key: String) -> [String]? {
        guard let value = table[key] else { return nil }
        guard let array = value.array else {
            fail(key, "\(key) in \(name) must be a list of strings, e.g. [\"*.mp4\", \"*.mkv\"]")
            return nil
        }
        var result: [String] = []
        for element in array {
            guard let string = element.string else {
                fail(key, "\(key) in \(name) must contain only strings")
                return nil
            }
            result.append(string)
        }
        return result
    }

    private func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
