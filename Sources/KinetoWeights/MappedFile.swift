import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A whole file mapped read-only into memory; unmapped when released.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw WeightError(file: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WeightError(file: path, "cannot stat: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw WeightError(file: path, "not a regular file") }
        size = Int(info.st_size)
        if size == 0 {
            // mmap rejects empty files; a one-byte private buffer keeps `base` valid.
            base = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))
            isAllocated = true
            return
        }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw WeightError(file: path, "cannot map into memory: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(mapped)
        isAllocated = false
    }

    private let isAllocated: Bool

    deinit {
        if isAllocated {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
        }
    }
}
