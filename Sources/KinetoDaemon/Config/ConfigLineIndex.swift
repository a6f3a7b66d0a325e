import Foundation

/// Where each key of a TOML file is written, so a message can name the line of an unknown key or a
/// bad value (the TOML library keeps no positions for keys). Tracks `[daemon]` and `[[watch]]` headers
/// and `key = value` lines; good enough for the flat tables Kineto's configuration uses.
struct ConfigLineIndex: Sendable, Equatable {
    struct Location: Hashable {
        var table: String
        var index: Int
        var key: String
    }
    private var lines: [Location: Int] = [:]
    private var headers: [Location: Int] = [:]

    init(text: String) {
        var table = ""
        var counts: [String: Int] = [:]
        var index = 0
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[["), let close = line.range(of: "]]") {
                table = String(line[line.index(line.startIndex, offsetBy: 2)..<close.lowerBound]).trimmingCharacters(
                    in: .whitespaces)
                index = counts[table, default: 0]
                counts[table] = index + 1
                headers[Location(table: table, index: index, key: "")] = offset + 1
            } else if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                table = String(line[line.index(after: line.startIndex)..<close]).trimmingCharacters(in: .whitespaces)
                index = 0
                headers[Location(table: table, index: 0, key: "")] = offset + 1
            } else if !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") {
                var key = line[..<equals].trimmingCharacters(in: .whitespaces)
                if key.count >= 2, key.first == "\"", key.last == "\"" { key = String(key.dropFirst().dropLast()) }
                let location = Location(table: table, index: index, key: key)
                if lines[location] == nil { lines[location] = offset + 1 }
            }
        }
    }

    /// The line of `key` in the `index`-th `[table]` or `[[table]]` (the header's line for key nil).
    func line(table: String, index: Int = 0, key: String? = nil) -> Int? {
        guard let key else { return headers[Location(table: table, index: index, key: "")] }
        return lines[Location(table: table, index: index, key: key)]
            ?? headers[Location(table: table, index: index, key: "")]
    }
}
