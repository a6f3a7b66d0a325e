/// File names no watch ever takes, whatever its patterns: files still being written by browsers,
/// downloaders and copy tools, hidden files, and Kineto's own temporary files and reports.
public enum FileNameFilter {
    /// Suffixes of files that are still being written by someone (case-insensitive).
    public static let partialSuffixes = [
        ".part", ".tmp", ".crdownload", ".partial", ".download", ".!qb", ".swp", ".error.json",
    ]
    /// Marker in the names of Kineto's own temporary files (`.NAME.kineto-partial-XXXX`, `.NAME.kineto-partial.jobN.mp4`).
    public static let kinetoPartialMarker = ".kineto-partial"

    public static func isIgnored(_ fileName: String) -> Bool {
        if fileName.hasPrefix(".") || fileName.hasPrefix("~") { return true }
        if fileName.contains(kinetoPartialMarker) { return true }
        let lower = fileName.lowercased()
        return partialSuffixes.contains { lower.hasSuffix($0) }
    }

    /// Whether `fileName` is a temporary file Kineto itself made (and may remove after a crash).
    public static func isKinetoTemporary(_ fileName: String) -> Bool {
        fileName.hasPrefix(".") && fileName.contains(kinetoPartialMarker)
    }
}
