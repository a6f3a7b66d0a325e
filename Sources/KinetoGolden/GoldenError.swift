/// Errors of the golden checks a user can cause (wrong file, unknown kind), with what to do.
public struct GoldenError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
