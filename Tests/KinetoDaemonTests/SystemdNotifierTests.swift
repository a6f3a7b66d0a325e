import Foundation
import Glibc
import KinetoDaemon
import KinetoTestSupport
import Logging
import Testing

/// A datagram socket standing in for systemd's notify socket.
final class NotifySocket {
    let fd: Int32
    let name: String

    /// Binds `name`: a path, or `@name` for the abstract namespace.
    init(name: String) throws {
        self.name = name
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) }
        }
        guard result == 0 else { throw TestError("bind \(name): \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if !name.hasPrefix("@") { unlink(name) }
    }

    /// The next datagram (waits up to 5 s), nil on timeout.
    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
    }

    /// The datagrams arriving within the next `seconds`, or until `enough` says the ones so far are
    /// enough, without blocking a thread of Swift's cooperative pool (which the service under test and
    /// other tests need to make progress).
    func collect(seconds: Double, until enough: ([String]) -> Bool = { _ in false }) async -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline && !enough(messages) {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 {
                messages.append(String(decoding: buffer[0..<count], as: UTF8.self))
            } else {
                try? await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        return messages
    }

    /// Whether a datagram matching `wanted` arrives within `seconds` (without blocking the pool).
    func receives(within seconds: Double, _ wanted: @escaping (String) -> Bool) async -> Bool {
        await collect(seconds: seconds) { $0.contains(where: wanted) }.contains(where: wanted)
    }
}

@Suite struct SystemdNotifierTests {
    @Test func sendsToAPathSocket() throws {
        let fixture = try DaemonFixture()
        let socket = try NotifySocket(name: fixture.root + "/notify.sock")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "2000000"])
        #expect(notifier.isEnabled)
        #expect(notifier.watchdogInterval == 2)
        notifier.ready(status: "watching 1 folder(s)")
        #expect(socket.receive() == "READY=1\nSTATUS=watching 1 folder(s)")
        notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1")
        notifier.stopping()
        #expect(socket.receive() == "STOPPING=1")
    }

    @Test func sendsToAnAbstractSocket() throws {
        let name = "@kineto-test-\(UUID().uuidString.prefix(8))"
        let socket = try NotifySocket(name: name)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name])
        notifier.status("3 queued")
        #expect(socket.receive() == "STATUS=3 queued")
        #expect(notifier.watchdogInterval == nil)
    }

    /// WATCHDOG=1 only while every running job moves: a job without progress for longer than
    /// stall_seconds stops the pings (so systemd's WatchdogSec= restarts the service) and says why in
    /// STATUS; progress resumes them.
    @Test func aStalledJobStopsTheWatchdogPings() async throws {
        let fixture = try DaemonFixture()
        let socket = try NotifySocket(name: fixture.root + "/notify.sock")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.name, "WATCHDOG_USEC": "200000"])
        let config = try DaemonConfig.parse(fixture.config())
        let activity = ActivityMonitor()
        var logger = Logger(label: "kineto-test")
        logger.logLevel = .critical
        let service = SystemdService(
            notifier: notifier, activity: activity, store: try SQLiteJobStore(directory: fixture.state),
            config: ConfigBox(config), logger: logger)
        // Job 7 started long before the stall window (300 s by default) and has not moved since.
        activity.jobStarted(7, now: ActivityMonitor.now() - 1000)
        let task = Task { try await service.run() }

        // Every beat pings before it reports the status, so the first STALLED status with no ping
        // before it (or within the next beats) shows the beats withhold the ping. Waited for, not
        // timed: on a loaded machine the service's task may start late.
        let isStalledStatus = { (message: String) in
            message.hasPrefix("STATUS=") && message.contains("STALLED: job 7 has made no progress")
        }
        var stalled = await socket.collect(seconds: 20) { $0.contains(where: isStalledStatus) }
        #expect(stalled.contains(where: isStalledStatus), "\(stalled)")
        stalled += await socket.collect(seconds: 0.5)
        #expect(!stalled.contains("WATCHDOG=1"), "\(stalled)")

        activity.jobProgressed(7)
        let isHealthyStatus = { (message: String) in message.hasPrefix("STATUS=") && !message.contains("STALLED") }
        let moving = await socket.collect(seconds: 20) {
            $0.contains("WATCHDOG=1") && $0.contains(where: isHealthyStatus)
        }
        #expect(moving.contains("WATCHDOG=1"), "pings again once the job moves: \(moving)")
        #expect(moving.contains(where: isHealthyStatus), "\(moving)")

        task.cancel()
        try await task.value
        #expect(await socket.receives(within: 10) { $0.hasPrefix("STOPPING=1") })
    }

    @Test func withoutSystemdNothingIsSent() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(!notifier.send(["READY=1"]))
        // A watchdog meant for another process is not ours to feed.
        let other = SystemdNotifier(environment: [
            "NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1",
        ])
        #expect(other.watchdogInterval == nil)
    }
}
