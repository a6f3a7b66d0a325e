/// What happens to a source file once its job is done. The default keeps it where it is; Kineto never
/// deletes a source unless `after_success = "delete"` is written in the configuration.
public enum AfterSuccess: Sendable, Equatable, CustomStringConvertible {
    /// Leave the source in the watched folder (it is remembered as done, so it is not taken again).
    case keep
    /// Move the source into this folder (never replacing a file there).
    case move(to: String)
    /// Delete the source. Only when explicitly configured.
    case delete

    public var description: String {
        switch self {
        case .keep: return "keep"
        case .move(let folder): return "move to \(folder)"
        case .delete: return "delete"
        }
    }
}
