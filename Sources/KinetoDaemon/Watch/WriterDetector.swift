import Glibc

/// Tells, when it cheaply can, whether some process has a file open for writing: a read lease
/// (fcntl F_SETLEASE) is refused with EAGAIN while any writer has the file open. Leases need the
/// file's owner or CAP_LEASE and a local file system; when they cannot be taken the answer is nil
/// and the stable window alone decides.
public enum WriterDetector {
    private static let setLease: Int32 = 1024  // F_SETLEASE
    private static let readLease: Int32 = 0  // F_RDLCK
    private static let unlock: Int32 = 2  // F_UNLCK

    public static func isOpenForWriting(_ path: String) -> Bool? {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if fcntl(fd, setLease, readLease) == 0 {
            _ = fcntl(fd, setLease, unlock)
            return false
        }
        return errno == EAGAIN ? true : nil
    }
}
