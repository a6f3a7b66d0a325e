/// Engine-wide settings and the internal invariant check.
public enum Engine {
    /// Stops the process on a broken programming invariant (wrong shapes passed to an operator). Not for user input:
    /// validate weight files when loading them (see `Conv2d.init`, which throws). Unlike `precondition`, this still
    /// checks in the `-Ounchecked` builds the engine uses.
    @inline(__always)
    static func check(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
        file: StaticString = #file, line: UInt = #line
    ) {
        if !condition() { fatalError("KinetoEngine: \(message())", file: file, line: line) }
    }
}
