import Glibc

/// What makes a dropped file "the same file": its size, modification time and inode. The same file
/// seen twice is one job; the same name with new content (other size or time) is a new job.
public struct FileIdentity: Sendable, Hashable, Codable {
    public var size: Int64
    /// Modification time in nanoseconds since 1970.
    public var mtimeNanoseconds: Int64
    public var inode: Int64
    public var device: Int64

    public init(size: Int64, mtimeNanoseconds: Int64, inode: Int64, device: Int64) {
        self.size = size
        self.mtimeNanoseconds = mtimeNanoseconds
        self.inode = inode
        self.device = device
    }

    /// The identity of the regular file at `path` (symlinks followed), or nil if it is not one.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        self.init(
            size: Int64(info.st_size),
            mtimeNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            inode: Int64(bitPattern: UInt64(info.st_ino)), device: Int64(bitPattern: UInt64(info.st_dev)))
    }
}
