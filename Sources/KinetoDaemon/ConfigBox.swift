import Foundation

/// The configuration in force, replaced as a whole on SIGHUP; readers always see a complete one.
public final class ConfigBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: DaemonConfig

    public init(_ config: DaemonConfig) {
        value = config
    }

    public var current: DaemonConfig {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
