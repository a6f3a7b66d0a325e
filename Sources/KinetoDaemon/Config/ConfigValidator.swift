import Foundation
import Glibc

/// The checks of a configuration against the file system, done before the daemon starts: folders
/// exist and are usable, nothing the daemon writes lands in a folder it watches (the re-processing
/// loop other watch-folder tools fall into), a token protects a non-loopback API.
struct ConfigValidator {
    let config: DaemonConfig
    let file: String
    let lines: ConfigLineIndex

    func validate() throws {
        var problems: [ConfigError.Problem] = []
        func daemonProblem(_ key: String, _ message: String) {
            problems.append(.init(line: lines.line(table: "daemon", key: key), message))
        }
        if !config.http.isLoopback && (config.token ?? "").isEmpty {
            daemonProblem(
                "http",
                "http = \"\(config.http)\" is reachable from other machines: set token = \"…\" in [daemon] (clients send it as 'Authorization: Bearer …'), or bind to 127.0.0.1"
            )
        }
        if let problem = Self.creatableFolderProblem(config.stateDirectory, what: "state_dir") {
            daemonProblem("state_dir", problem)
        }

        let inputs = config.watches.map { PathIdentity.resolve($0.input) }
        var names = Set<String>()
        for (index, watch) in config.watches.enumerated() {
            func watchProblem(_ key: String, _ message: String) {
                problems.append(.init(line: lines.line(table: "watch", index: index, key: key), message))
            }
            let label = "[[watch]] '\(watch.name)'"
            if !names.insert(watch.name).inserted {
                watchProblem("name", "two [[watch]] entries are named '\(watch.name)'; give each a distinct name =")
            }
            if let problem = Self.folderProblem(watch.input, needsWrite: watch.afterSuccess != .keep, what: "input") {
                watchProblem("input", "\(label): \(problem)")
            }
            if let problem = Self.folderProblem(watch.output, needsWrite: true, what: "output") {
                watchProblem("output", "\(label): \(problem)")
            }
            let defaultQuarantine = watch.quarantine.hasPrefix(
                (config.stateDirectory as NSString).appendingPathComponent("quarantine"))
            let quarantineProblem =
                defaultQuarantine
                ? Self.creatableFolderProblem(watch.quarantine, what: "quarantine")
                : Self.folderProblem(watch.quarantine, needsWrite: true, what: "quarantine")
            if let quarantineProblem { watchProblem("quarantine", "\(label): \(quarantineProblem)") }
            if case .move(let folder) = watch.afterSuccess,
                let problem = Self.folderProblem(folder, needsWrite: true, what: "move_to")
            {
                watchProblem("move_to", "\(label): \(problem)")
            }

            let input = inputs[index]
            let output = PathIdentity.resolve(watch.output)
            for (otherIndex, otherInput) in inputs.enumerated() {
                let whose =
                    otherIndex == index
                    ? "its own input" : "the input of [[watch]] '\(config.watches[otherIndex].name)'"
                if PathIdentity.isSameOrInside(output, otherInput) {
                    watchProblem(
                        "output",
                        "\(label): output \(watch.output) is \(output == otherInput ? "the same folder as" : "inside") \(whose) (\(config.watches[otherIndex].input)); results would be taken as new jobs: choose a folder outside every watched folder"
                    )
                }
                if PathIdentity.isSameOrInside(PathIdentity.resolve(watch.quarantine), otherInput) {
                    watchProblem(
                        "quarantine",
                        "\(label): quarantine \(watch.quarantine) is inside \(whose); choose a folder outside every watched folder"
                    )
                }
                if case .move(let folder) = watch.afterSuccess,
                    PathIdentity.isSameOrInside(PathIdentity.resolve(folder), otherInput)
                {
                    watchProblem(
                        "move_to",
                        "\(label): move_to \(folder) is inside \(whose); moved sources would be taken again: choose a folder outside every watched folder"
                    )
                }
                if otherIndex < index, otherInput == input {
                    watchProblem(
                        "input",
                        "\(label): input \(watch.input) is already watched by [[watch]] '\(config.watches[otherIndex].name)'; each file would be processed twice"
                    )
                }
            }
        }
        if !problems.isEmpty { throw ConfigError(file: file, problems: problems) }
    }

    /// Why `path` cannot serve as an existing folder, or nil.
    static func folderProblem(_ path: String, needsWrite: Bool, what: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return
                "\(what) folder \(path) does not exist (\(String(cString: strerror(errno)))); create it (and give the kineto user access) or fix the path"
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return "\(what) \(path) is not a folder" }
        guard access(path, R_OK | X_OK) == 0 else {
            return "\(what) folder \(path) is not readable by this user (uid \(getuid()))"
        }
        if needsWrite, access(path, W_OK) != 0 {
            return "\(what) folder \(path) is not writable by this user (uid \(getuid())); fix its owner or permissions"
        }
        return nil
    }

    /// Like `folderProblem`, but a missing folder is fine when it can be created (its parent is writable).
    static func creatableFolderProblem(_ path: String, what: String) -> String? {
        if FileManager.default.fileExists(atPath: path) { return folderProblem(path, needsWrite: true, what: what) }
        var parent = (path as NSString).deletingLastPathComponent
        while !parent.isEmpty, parent != "/", !FileManager.default.fileExists(atPath: parent) {
            parent = (parent as NSString).deletingLastPathComponent
        }
        if parent.isEmpty { parent = "/" }
        if access(parent, W_OK | X_OK) != 0 {
            return
                "\(what) folder \(path) does not exist and cannot be created (\(parent) is not writable by uid \(getuid()))"
        }
        return nil
    }
}

/// Path comparisons that see through symlinks and `..`, for the nesting checks.
enum PathIdentity {
    /// The real path when it exists (symlinks resolved), else the standardized path of its nearest
    /// existing ancestor plus the rest.
    static func resolve(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let parent = (path as NSString).deletingLastPathComponent
        if parent == path || parent.isEmpty { return (path as NSString).standardizingPath }
        return (resolve(parent) as NSString).appendingPathComponent((path as NSString).lastPathComponent)
    }

    /// Whether `path` is `folder` or somewhere below it.
    static func isSameOrInside(_ path: String, _ folder: String) -> Bool {
        if path == folder { return true }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix)
    }
}
