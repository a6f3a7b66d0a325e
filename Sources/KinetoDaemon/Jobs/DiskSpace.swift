import Glibc

/// Free space checks before a job starts, so a full disk fails the job at once with a clear message
/// instead of after an hour of work.
public enum DiskSpace {
    /// Bytes an unprivileged process can still write in the file system holding `path`, or nil.
    public static func available(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// A generous guess of a job's output size: the input's size times the frame-count factor (more
    /// frames, more bytes), times 4 for lossless FFV1, plus 16 MiB of headroom for the container.
    public static func estimatedOutputBytes(inputBytes: Int64, frameFactor: Double, lossless: Bool) -> Int64 {
        let factor = max(1, frameFactor) * (lossless ? 4 : 1)
        return Int64(Double(inputBytes) * factor) + 16 << 20
    }
}
