import Foundation
import Glibc
import KinetoDaemon
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
        guard result == 0 else { throw TestFailure("bind \(name): \(String(cString: strerror(errno)))") }
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

    /// The datagrams arriving within the next `seconds` (a watchdog may ping forever: bounded in time).
    func drain(seconds: Double = 1) -> [String] {
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = Date().addingTimeInterval(seconds)
        var messages: [String] = []
        while Date() < deadline {
            if let message = receive() { messages.append(message) }
        }
        return messages
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

    @Test func withoutSystemdNothingIsSent() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isEnabled)
        #expect(!notifier.send(["READY=1"]))
        // A watchdog meant for another process is not ours to feed.
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"])
        #expect(other.watchdogInterval == nil)
    }
}
