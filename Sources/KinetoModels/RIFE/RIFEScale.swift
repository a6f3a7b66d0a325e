import Foundation

/// RIFE's `scale`: how coarse its flow search starts (1 for full detail, 0.5 or 0.25 for 4K, 2 or 4 for small
/// frames). Only the reference's values exist as instances, so a scale is checked once, where a person writes it
/// (command line, config file), and every later holder can rely on it.
public struct RIFEScale: Sendable, Hashable, CustomStringConvertible {
    public let value: Double

    /// The scales the reference (Practical-RIFE's `inference_video.py`) accepts.
    public static let supported: [RIFEScale] = [0.25, 0.5, 1, 2, 4].map { RIFEScale(unchecked: $0) }
    /// The reference's default, full detail.
    public static let full = RIFEScale(unchecked: 1)

    private init(unchecked value: Double) { self.value = value }

    /// The scale `value`, or nil when the reference has no such scale.
    public init?(_ value: Double) {
        guard let match = Self.supported.first(where: { $0.value == value }) else { return nil }
        self = match
    }

    /// The scale written as `text` (`0.5`, `.5`, `1`); an error that lists the supported values otherwise.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let number = Double(trimmed), let scale = RIFEScale(number) else {
            throw RIFEError("RIFE scale '\(text)' is not one of \(Self.supportedList) (as the reference)")
        }
        self = scale
    }

    /// Half this scale (a coarser flow search, about a quarter of the flow blocks' work), nil below 0.25.
    public var halved: RIFEScale? { RIFEScale(value / 2) }

    public var description: String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    static var supportedList: String { supported.map(\.description).joined(separator: ", ") }
}
