import Glibc

/// Shell-style file name patterns (`*.mp4`, `clip-??.mov`, `[ab]*.mkv`), matched with fnmatch(3).
public enum Glob {
    public static func matches(_ pattern: String, _ name: String, caseInsensitive: Bool = false) -> Bool {
        // FNM_CASEFOLD is a GNU extension: 1 << 4.
        let flags: Int32 = caseInsensitive ? (1 << 4) : 0
        return fnmatch(pattern, name, flags) == 0
    }
}
