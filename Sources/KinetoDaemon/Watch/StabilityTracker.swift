/// Decides when a file in a watched folder is complete: its size and modification time must stay
/// unchanged for the stable window. A file still being copied keeps changing and is not taken.
public struct StabilityTracker: Sendable {
    struct Entry: Sendable {
        var identity: FileIdentity
        /// When the current identity was first seen.
        var since: Double
        /// Already handed on (queued, or known to the store): nothing more to do until it changes.
        var settled: Bool
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    /// Records the file at `path` as seen with `identity` at `now`.
    public mutating func observe(_ path: String, identity: FileIdentity, now: Double) {
        if let entry = entries[path], entry.identity == identity { return }
        entries[path] = Entry(identity: identity, since: now, settled: false)
    }

    /// Forgets files that are gone (not in `present`) within `folder`'s entries.
    public mutating func forget(in folder: String, except present: Set<String>) {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        for path in entries.keys where path.hasPrefix(prefix) && !present.contains(path) { entries[path] = nil }
    }

    /// Files not yet settled whose identity has been unchanged for at least `stableSeconds(path)`.
    public func stableFiles(now: Double, stableSeconds: (String) -> Double) -> [(path: String, identity: FileIdentity)]
    {
        entries.filter { !$0.value.settled && now - $0.value.since >= stableSeconds($0.key) }
            .map { ($0.key, $0.value.identity) }
            .sorted { $0.path < $1.path }
    }

    /// Paths still waiting for their window (to be re-checked often, not only at rescans).
    public var pendingPaths: [String] { entries.filter { !$0.value.settled }.map(\.key) }

    /// Marks `path` as handed on for this identity.
    public mutating func settle(_ path: String) {
        entries[path]?.settled = true
    }

    /// Starts the window again (the file turned out to be open for writing).
    public mutating func restart(_ path: String, now: Double) {
        entries[path]?.since = now
    }
}
