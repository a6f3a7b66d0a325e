import Foundation
import Glibc

/// Finishes the bookkeeping of jobs whose output was placed just before a crash.
///
/// A finished output gets its final name as a hard link while its staging name
/// (`.STEM.kineto-partial.jobID.EXT`) stays until the job is recorded as done. At start-up, a staging
/// file with two links therefore means "placed, not recorded": the job is marked done with the file
/// that shares its inode, and the staging name is removed — so a crash at that moment neither loses
/// the result nor makes the job run again into a second output.
public enum PlacedOutputRecovery {
    /// Returns the ids of the jobs marked done.
    @discardableResult
    /// With `worker`, only that worker's staging files are looked at (the others may belong to live jobs).
    public static func recover(store: any JobStore, folders: [String], worker: String? = nil) -> [Int64] {
        var recovered: [Int64] = []
        for folder in folders {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names where FileNameFilter.isKinetoTemporary(name) {
                guard let id = jobID(inStagingName: name) else { continue }
                if let worker, !name.contains(JobProcessor.workerTag(worker)) { continue }
                let staging = (folder as NSString).appendingPathComponent(name)
                var info = stat()
                guard lstat(staging, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink >= 2 else {
                    continue
                }
                let twin = names.first { other in
                    guard !other.hasPrefix(".") else { return false }
                    var otherInfo = stat()
                    return lstat((folder as NSString).appendingPathComponent(other), &otherInfo) == 0
                        && otherInfo.st_ino == info.st_ino && otherInfo.st_dev == info.st_dev
                }
                if let twin, let job = try? store.job(id: id), job.state != .done {
                    let output = (folder as NSString).appendingPathComponent(twin)
                    if (try? store.markDone(
                        id: id, output: output, framesOut: job.framesOut, framesPerSecond: job.framesPerSecond)) != nil
                    {
                        recovered.append(id)
                    }
                }
                unlink(staging)
            }
            OutputPlacer.syncDirectory(folder)
        }
        return recovered
    }

    /// Whether `folder` holds a staging file of job `id`'s run `run` that was placed (two links), and
    /// the name it was placed under: the evidence that a run placed its output and died before recording it.
    public static func placedOutput(folder: String, id: Int64, run: Int64) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        let marker = "\(FileNameFilter.kinetoPartialMarker).job\(id).r\(run)."
        for name in names where FileNameFilter.isKinetoTemporary(name) && name.contains(marker) {
            var info = stat()
            let staging = (folder as NSString).appendingPathComponent(name)
            guard lstat(staging, &info) == 0, info.st_nlink >= 2 else { continue }
            for other in names where !other.hasPrefix(".") {
                var otherInfo = stat()
                if lstat((folder as NSString).appendingPathComponent(other), &otherInfo) == 0,
                    otherInfo.st_ino == info.st_ino, otherInfo.st_dev == info.st_dev
                {
                    return (folder as NSString).appendingPathComponent(other)
                }
            }
        }
        return nil
    }

    /// `N` from `.STEM.kineto-partial.jobN.EXT`.
    static func jobID(inStagingName name: String) -> Int64? {
        guard let marker = name.range(of: FileNameFilter.kinetoPartialMarker + ".job") else { return nil }
        let digits = name[marker.upperBound...].prefix { $0.isNumber }
        return Int64(digits)
    }
}
