import Foundation
import Glibc

/// Moves a finished, verified file from its hidden staging name to its final name in the same folder,
/// never replacing an existing file: `clip.mp4`, else `clip (1).mp4`, `clip (2).mp4`, …
///
/// `link(2)` creates the final name only if it does not exist (the same guarantee as renameat2's
/// RENAME_NOREPLACE, on every file system with hard links), then the staging name is removed and the
/// folder fsynced, so after a crash either the final file is complete or it is not there at all.
public enum OutputPlacer {
    /// The final path used. Throws when the folder refuses new names. With `keepStaging` the staging
    /// name stays as a second link to the file until the caller removes it: a crash before the job is
    /// recorded as done then leaves evidence (a staging file with two links) that it was placed.
    public static func place(
        staging: String, folder: String, stem: String, extension ext: String,
        keepStaging: Bool = false
    ) throws -> String {
        for index in 0..<10_000 {
            let name = index == 0 ? "\(stem).\(ext)" : "\(stem) (\(index)).\(ext)"
            let destination = (folder as NSString).appendingPathComponent(name)
            if link(staging, destination) == 0 {
                if !keepStaging { unlink(staging) }
                syncDirectory(folder)
                return destination
            }
            let code = errno
            if code == EEXIST { continue }
            if code == EPERM || code == EXDEV || code == ENOTSUP {
                // No hard links here (some FUSE and FAT file systems): fall back to a checked rename. The
                // window between the check and the rename is the only one in which a file could be replaced.
                if access(destination, F_OK) == 0 { continue }
                guard rename(staging, destination) == 0 else {
                    throw DaemonError(
                        "cannot move the finished file to \(destination): \(String(cString: strerror(errno)))")
                }
                syncDirectory(folder)
                return destination
            }
            throw DaemonError("cannot move the finished file to \(destination): \(String(cString: strerror(code)))")
        }
        throw DaemonError("cannot find a free name for \(stem).\(ext) in \(folder) (10000 taken)")
    }

    /// Flushes a folder's entries to disk (a new or removed name survives a power loss).
    public static func syncDirectory(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Flushes a file's data to disk; throws with the reason (ENOSPC on a full disk) when it fails.
    public static func syncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DaemonError("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if fsync(fd) != 0 { throw DaemonError("cannot sync \(path) to disk: \(String(cString: strerror(errno)))") }
    }
}
