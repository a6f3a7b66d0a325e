/// A failure of the daemon itself (state folder, database, socket), with a message saying what to do.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
