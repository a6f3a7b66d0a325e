import Foundation

/// Kineto's model directories, searched as `ModelStore.standard()` searches them (this test target does not
/// link KinetoModels): $KINETO_MODEL_DIR, else $XDG_DATA_HOME/kineto/models, else ~/.local/share/kineto/models,
/// then /var/lib/kineto/models. `scripts/setup` installs the weights there.
let installedModelDirectories: [URL] = {
    let env = ProcessInfo.processInfo.environment
    var dirs: [URL] = []
    if let explicit = env["KINETO_MODEL_DIR"] {
        dirs.append(URL(fileURLWithPath: explicit))
    } else if let data = env["XDG_DATA_HOME"], !data.isEmpty {
        dirs.append(URL(fileURLWithPath: data).appendingPathComponent("kineto/models"))
    } else {
        dirs.append(
            FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/kineto/models"))
    }
    dirs.append(URL(fileURLWithPath: "/var/lib/kineto/models"))
    return dirs
}()

/// The first existing `relative` path under the model directories.
func installedModelFile(_ relative: String) -> URL? {
    installedModelDirectories.map { $0.appendingPathComponent(relative) }.first {
        FileManager.default.fileExists(atPath: $0.path)
    }
}
