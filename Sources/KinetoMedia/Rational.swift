import CFFmpeg

/// An exact rational number: frame rates (`30000/1001`), time bases and timestamps in seconds.
///
/// Always reduced, with a positive denominator. Arithmetic traps on overflow rather than drifting, so
/// timestamps computed from it stay exact over hours of video.
public struct Rational: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let numerator: Int64
    public let denominator: Int64

    public init(_ numerator: Int64, _ denominator: Int64 = 1) {
        precondition(denominator != 0, "Rational with a zero denominator")
        let sign: Int64 = denominator < 0 ? -1 : 1
        let divisor = Rational.gcd(Swift.abs(numerator), Swift.abs(denominator))
        self.numerator = sign * numerator / Swift.max(divisor, 1)
        self.denominator = sign * denominator / Swift.max(divisor, 1)
    }

    public init(_ value: Int) { self.init(Int64(value), 1) }

    public init(_ value: AVRational) { self.init(Int64(value.num), Int64(value.den == 0 ? 1 : value.den)) }

    /// The closest rational with a denominator up to `maxDenominator` (av_d2q).
    public init(approximating value: Double, maxDenominator: Int32 = 1_000_000) {
        self.init(av_d2q(value, maxDenominator))
    }

    public static let zero = Rational(0)
    public static let one = Rational(1)

    public var avRational: AVRational { AVRational(num: Int32(clamping: numerator), den: Int32(clamping: denominator)) }
    public var doubleValue: Double { Double(numerator) / Double(denominator) }
    public var inverse: Rational { Rational(denominator, numerator) }
    public var isZero: Bool { numerator == 0 }

    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }

    /// Largest integer not above the value.
    public var floor: Int64 {
        let q = numerator / denominator
        return (numerator % denominator != 0 && numerator < 0) ? q - 1 : q
    }

    public static func + (a: Rational, b: Rational) -> Rational {
        let g = gcd(a.denominator, b.denominator)
        return Rational(
            a.numerator * (b.denominator / g) + b.numerator * (a.denominator / g), a.denominator / g * b.denominator)
    }
    public static func - (a: Rational, b: Rational) -> Rational { a + Rational(-b.numerator, b.denominator) }
    public static func * (a: Rational, b: Rational) -> Rational {
        let g1 = gcd(Swift.abs(a.numerator), b.denominator)
        let g2 = gcd(Swift.abs(b.numerator), a.denominator)
        return Rational(
            (a.numerator / Swift.max(g1, 1)) * (b.numerator / Swift.max(g2, 1)),
            (a.denominator / Swift.max(g2, 1)) * (b.denominator / Swift.max(g1, 1)))
    }
    public static func / (a: Rational, b: Rational) -> Rational { a * b.inverse }
    public static func * (a: Rational, b: Int64) -> Rational { a * Rational(b) }
    public static func < (a: Rational, b: Rational) -> Bool {
        // Compare a.n/a.d < b.n/b.d without overflow for the magnitudes video uses (128-bit product).
        let lhs = a.numerator.multipliedFullWidth(by: b.denominator)
        let rhs = b.numerator.multipliedFullWidth(by: a.denominator)
        return (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    private enum CodingKeys: String, CodingKey { case numerator, denominator }

    /// Decodes `{"numerator": n, "denominator": d}`, reduced; a zero denominator is a decoding error, not a trap.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let numerator = try container.decode(Int64.self, forKey: .numerator)
        let denominator = try container.decode(Int64.self, forKey: .denominator)
        guard denominator != 0, denominator != .min, numerator != .min else {
            throw DecodingError.dataCorruptedError(
                forKey: .denominator, in: container,
                debugDescription: "\(numerator)/\(denominator) is not a usable rational")
        }
        self.init(numerator, denominator)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(numerator, forKey: .numerator)
        try container.encode(denominator, forKey: .denominator)
    }

    /// A timestamp `pts` in units of this time base, as seconds.
    public func seconds(of pts: Int64) -> Rational { self * Rational(pts) }

    static func gcd(_ a: Int64, _ b: Int64) -> Int64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
