import Foundation
import Glibc

/// Speaks systemd's notify protocol without libsystemd: one datagram per message to the Unix socket
/// named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). Without the variable
/// (not started by systemd) every call does nothing.
public final class SystemdNotifier: @unchecked Sendable {
    /// The socket address, as given (nil: not under systemd).
    public let socketPath: String?
    /// The watchdog interval systemd expects pings within (`$WATCHDOG_USEC`, for this process).
    public let watchdogInterval: Double?
    private let lock = NSLock()

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        var interval: Double? = nil
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            // WATCHDOG_PID, when set, says which process the watchdog is meant for.
            if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() {
                interval = nil
            } else {
                interval = usec / 1e6
            }
        }
        watchdogInterval = interval
    }

    public var isEnabled: Bool { socketPath != nil }

    /// Sends `READY=1`.
    public func ready(status: String? = nil) { send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    /// Sends `STOPPING=1`.
    public func stopping(status: String? = nil) { send(["STOPPING=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    /// Sends `RELOADING=1` with the monotonic time systemd wants alongside it.
    public func reloading() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        send(["RELOADING=1", "MONOTONIC_USEC=\(Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)"])
    }
    /// Sends `STATUS=…` (one line shown by `systemctl status`).
    public func status(_ text: String) { send(["STATUS=\(text.replacingOccurrences(of: "\n", with: " "))"]) }
    /// Sends `WATCHDOG=1`.
    public func watchdog() { send(["WATCHDOG=1"]) }

    /// Sends one datagram of newline-separated assignments. Returns false when it could not be sent.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        guard let socketPath else { return false }
        let message = assignments.joined(separator: "\n")
        return lock.withLock { Self.sendDatagram(message, to: socketPath) }
    }

    static func sendDatagram(_ message: String, to path: String) -> Bool {
        var pathBytes = Array(path.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in pathBytes.enumerated() { raw[i] = byte }
        }
        // An abstract address's length counts its bytes exactly; a path's includes the terminating zero.
        let length = MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), sa, socklen_t(length))
            }
        }
        return sent == bytes.count
    }
}
