/// Everything wrong with a configuration file, each problem with the line it is on when known, so a
/// user fixes them all in one go instead of one restart per mistake.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// One mistake: where it is and what to do about it.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// 1-based line in the file, when the mistake can be pinned to one.
        public var line: Int?
        public var message: String

        public init(line: Int? = nil, _ message: String) {
            self.line = line
            self.message = message
        }

        public var description: String { message }
    }

    /// The configuration file (or `<string>` for text parsed from memory).
    public var file: String
    public var problems: [Problem]

    public init(file: String, problems: [Problem]) {
        self.file = file
        self.problems = problems
    }

    public init(file: String, line: Int? = nil, _ message: String) {
        self.init(file: file, problems: [Problem(line: line, message)])
    }

    /// One problem a line, `FILE:LINE: message`, as compilers print them.
    public var description: String {
        problems.map { problem in
            if let line = problem.line { return "\(file):\(line): \(problem.message)" }
            return "\(file): \(problem.message)"
        }.joined(separator: "\n")
    }
}
