import Foundation

/// The frame rate a job asks for: a fixed rate, or a multiple of the input's rate.
///
/// Parsed from the command line's `--fps`: `60`, `60000/1001`, `29.97` (NTSC-style decimals become
/// their exact `N×1000/1001` fraction), `12.5` (other decimals are taken exactly: 25/2), `2x`, `2.5x`.
public enum TargetRate: Sendable, Hashable, CustomStringConvertible {
    /// Exactly this rate, whatever the input's.
    case fixed(FrameRate)
    /// The input's rate times `numerator / denominator` (`2x` is 2/1, `2.5x` is 5/2).
    case multiple(numerator: Int64, denominator: Int64)

    /// Parses `--fps` text; throws a `PipelineError` with code `.usage` explaining the accepted forms.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        func invalid(_ why: String) -> PipelineError {
            PipelineError(.usage, "invalid frame rate '\(text)': \(why); use e.g. 60, 60000/1001, 29.97, 2x or 2.5x")
        }
        if trimmed.hasSuffix("x") {
            guard let (numerator, denominator) = TargetRate.exactDecimal(String(trimmed.dropLast())) else {
                throw invalid("the multiplier is not a positive number")
            }
            self = .multiple(numerator: numerator, denominator: denominator)
            return
        }
        if let slash = trimmed.firstIndex(of: "/") {
            guard let frames = Int64(trimmed[..<slash]), let seconds = Int64(trimmed[trimmed.index(after: slash)...]),
                let rate = FrameRate(frames: frames, seconds: seconds)
            else {
                throw invalid("a fraction needs two positive whole numbers")
            }
            self = .fixed(rate)
            return
        }
        guard let (numerator, denominator) = TargetRate.exactDecimal(trimmed),
            let exact = FrameRate(frames: numerator, seconds: denominator)
        else {
            throw invalid("not a positive number")
        }
        self = .fixed(TargetRate.ntscRate(matching: trimmed, exact: exact) ?? exact)
    }

    /// The rate for an input running at `inputRate`; nil when a multiple overflows.
    public func resolved(inputRate: FrameRate) -> FrameRate? {
        switch self {
        case .fixed(let rate): return rate
        case .multiple(let numerator, let denominator): return inputRate.multiplied(by: numerator, over: denominator)
        }
    }

    public var description: String {
        switch self {
        case .fixed(let rate): return "\(rate) fps"
        case .multiple(let numerator, let denominator):
            return denominator == 1 ? "\(numerator)x" : "\(Double(numerator) / Double(denominator))x"
        }
    }

    /// `"2.5"` → (5, 2), exactly, reduced; nil unless a positive decimal with at most 9 fraction digits.
    static func exactDecimal(_ text: String) -> (Int64, Int64)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !text.isEmpty,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) })
        else { return nil }
        let whole = parts[0].isEmpty ? "0" : String(parts[0])
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 9, whole.count <= 9, !(parts[0].isEmpty && fraction.isEmpty) else { return nil }
        var denominator: Int64 = 1
        for _ in 0..<fraction.count { denominator *= 10 }
        guard let wholeValue = Int64(whole), let fractionValue = Int64(fraction.isEmpty ? "0" : fraction) else {
            return nil
        }
        let numerator = wholeValue * denominator + fractionValue
        guard numerator > 0 else { return nil }
        let divisor = FrameRate.gcd(numerator, denominator)
        return (numerator / divisor, denominator / divisor)
    }

    /// `29.97` → 30000/1001: a decimal that is `N × 1000/1001` rounded to the digits written, for a
    /// whole `N`, means the NTSC rate (nobody types 30000/1001 as its 17 digits). Whole numbers stay whole.
    static func ntscRate(matching text: String, exact: FrameRate) -> FrameRate? {
        guard exact.seconds != 1, let dot = text.firstIndex(of: ".") else { return nil }
        let digits = text.distance(from: dot, to: text.endIndex) - 1
        let n = (exact.framesPerSecond * 1.001).rounded()
        guard n >= 1, n < 1e9 else { return nil }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let ntsc = n * 1000 / 1001
        // Compare in integer units of the last written digit so 23.976 matches 23.97602… exactly.
        guard (ntsc * scale).rounded() == (exact.framesPerSecond * scale).rounded() else { return nil }
        return FrameRate(frames: Int64(n) * 1000, seconds: 1001)
    }
}
