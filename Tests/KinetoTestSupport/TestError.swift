/// A test's own failure (a tool that failed, a fixture that cannot be made), with what went wrong.
public struct TestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
