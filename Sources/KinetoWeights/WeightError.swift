/// A weight file that cannot be used, with the file and (where known) the tensor it concerns.
public struct WeightError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let key: String?
    public let message: String

    public init(file: String, key: String? = nil, _ message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        if let key { return "\(file): tensor '\(key)': \(message)" }
        return "\(file): \(message)"
    }
}
