import Foundation

/// A daily window of local time, `"22:00-07:00"` (over midnight) or `"09:00-17:30"`, in which a worker
/// takes jobs (`[daemon] hours`) or a watch's jobs may start (`[[watch]] hours`). A running job is never
/// stopped when its window closes; it only decides when new jobs start.
public struct TimeWindow: Sendable, Equatable, CustomStringConvertible {
    /// Minutes after midnight.
    public var start: Int
    public var end: Int

    public init?(parsing text: String) {
        let parts = text.replacingOccurrences(of: " ", with: "").split(separator: "-")
        guard parts.count == 2, let start = Self.minutes(parts[0]), let end = Self.minutes(parts[1]), start != end
        else { return nil }
        self.start = start
        self.end = end
    }

    private static func minutes(_ text: Substring) -> Int? {
        let fields = text.split(separator: ":")
        guard fields.count == 2, fields[1].count == 2, let hours = Int(fields[0]), let minutes = Int(fields[1]),
            (0...24).contains(hours), (0..<60).contains(minutes), hours * 60 + minutes <= 24 * 60
        else { return nil }
        return hours * 60 + minutes
    }

    /// Whether `minuteOfDay` (0..<1440) lies in the window (start included, end excluded).
    public func contains(minuteOfDay minute: Int) -> Bool {
        start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
    }

    /// Whether the window is open at `date`, in this host's time zone.
    public func isOpen(at date: Date = Date()) -> Bool {
        let parts = Calendar.current.dateComponents([.hour, .minute], from: date)
        return contains(minuteOfDay: (parts.hour ?? 0) * 60 + (parts.minute ?? 0))
    }

    public var description: String {
        String(format: "%02d:%02d-%02d:%02d", start / 60, start % 60, end / 60, end % 60)
    }
}
