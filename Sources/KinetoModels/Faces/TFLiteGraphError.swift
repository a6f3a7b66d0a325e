import Foundation

/// A TFLite model that Kineto's graph executor cannot run, or inputs that do not fit it.
public struct TFLiteGraphError: Error, CustomStringConvertible, Sendable {
    /// The model file.
    public let file: String
    public let message: String

    public init(file: String, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}
