import Foundation
import Glibc

/// Linux inotify on a set of folders, as hints only: a file closed after writing or moved in makes
/// its folder due for a scan now instead of at the next periodic rescan. Events can be lost (queue
/// overflow, NFS, changes while the daemon was down), so the periodic rescan stays the authority.
public final class InotifyWatcher: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var folders: [Int32: String] = [:]
    private var watchIDs: [String: Int32] = [:]
    private var hinted: Set<String> = []
    private var overflowed = false
    private var stopped = false
    private var thread: Thread?

    public init() throws {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw DaemonError("inotify is not available: \(String(cString: strerror(errno)))") }
        let thread = Thread { [self] in readLoop() }
        thread.name = "kineto-inotify"
        self.thread = thread
        thread.start()
    }

    deinit { close(fd) }

    /// Watches `folder` (top level) for files closed after writing and files moved in.
    public func watch(_ folder: String) throws {
        guard lock.withLock({ watchIDs[folder] == nil }) else { return }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_ONLYDIR)
        let wd = inotify_add_watch(fd, folder, mask)
        guard wd >= 0 else {
            throw DaemonError("cannot watch \(folder) with inotify: \(String(cString: strerror(errno)))")
        }
        lock.withLock {
            folders[wd] = folder
            watchIDs[folder] = wd
        }
    }

    /// Stops watching folders not in `keep` (after a configuration reload).
    public func unwatchAll(except keep: Set<String>) {
        let remove: [(String, Int32)] = lock.withLock {
            watchIDs.filter { !keep.contains($0.key) }.map { ($0.key, $0.value) }
        }
        for (folder, wd) in remove {
            inotify_rm_watch(fd, wd)
            lock.withLock {
                watchIDs[folder] = nil
                folders[wd] = nil
            }
        }
    }

    /// The folders with events since the last call; `overflow` is true when events were lost and
    /// every folder should be rescanned.
    public func takeHints() -> (folders: Set<String>, overflow: Bool) {
        lock.withLock {
            defer {
                hinted.removeAll()
                overflowed = false
            }
            return (hinted, overflowed)
        }
    }

    public func stop() {
        lock.withLock { stopped = true }
    }

    private func readLoop() {
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        while !lock.withLock({ stopped }) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 250)
            guard ready > 0 else { continue }
            let count = read(fd, buffer, bufferSize)
            guard count > 0 else { continue }
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                lock.withLock {
                    if event.mask & UInt32(IN_Q_OVERFLOW) != 0 { overflowed = true }
                    if let folder = folders[event.wd] { hinted.insert(folder) }
                }
                offset += MemoryLayout<inotify_event>.size + Int(event.len)
            }
        }
    }
}
