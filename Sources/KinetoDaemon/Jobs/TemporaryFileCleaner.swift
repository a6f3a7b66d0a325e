import Foundation
import Glibc

/// Removes Kineto's own temporary files (`.NAME.kineto-partial…`) that a crash left in output and
/// quarantine folders. Called at start, before any job runs, so none of them belongs to a live job.
public enum TemporaryFileCleaner {
    /// Removes the stale temporary files in `folder` (top level only) and returns their paths.
    @discardableResult
    /// With `worker`, only the files of that worker (`….wWORKER.…`) go: a folder that several hosts
    /// share holds other workers' live files.
    public static func clean(folder: String, worker: String? = nil) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names where FileNameFilter.isKinetoTemporary(name) {
            if let worker, !name.contains(JobProcessor.workerTag(worker)) { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }
}
