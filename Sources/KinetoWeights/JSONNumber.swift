import Foundation

/// Reading integers out of `JSONSerialization` results without trapping on huge or fractional numbers.
enum JSONNumber {
    /// The value as an Int if it is a whole number of magnitude below 2^53, else nil.
    static func exactInt(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let d = number.doubleValue
        guard d.isFinite, d == d.rounded(), abs(d) < 9_007_199_254_740_992 else { return nil }
        return Int(number.int64Value)
    }
}
