/// Errors a caller can cause by handing the engine mismatched data (e.g. weights of the wrong shape from a file).
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
