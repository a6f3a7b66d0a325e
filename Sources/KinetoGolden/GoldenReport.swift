import Foundation
import KinetoEngine

/// The result of comparing Kineto's outputs with reference tensors: one `Entry` per stored output.
///
/// Every golden check (`ops`, and the network checks) returns one of these; `kineto golden check` prints `lines`
/// and exits non-zero unless `passed`.
public struct GoldenReport: Sendable {
    /// One compared output (or a case that could not run, with `note` saying why).
    public struct Entry: Sendable {
        /// The case, e.g. `conv3x3` or `crop_t050`.
        public var name: String
        /// Which stored tensor, e.g. `out`, `flow4`.
        public var output: String
        /// Largest |actual − expected|.
        public var maxAbsError: Float
        /// Largest |expected|: the scale the relative error refers to.
        public var referenceMagnitude: Float
        /// `maxAbsError / referenceMagnitude` (or `maxAbsError` for an all-zero reference).
        public var relativeError: Float
        /// The limit on `relativeError`.
        public var tolerance: Float
        public var passed: Bool
        /// Why the case failed without numbers (missing tensor, shape mismatch, …), or extra detail.
        public var note: String?

        public init(
            name: String, output: String, maxAbsError: Float, referenceMagnitude: Float,
            relativeError: Float, tolerance: Float, passed: Bool, note: String? = nil
        ) {
            self.name = name
            self.output = output
            self.maxAbsError = maxAbsError
            self.referenceMagnitude = referenceMagnitude
            self.relativeError = relativeError
            self.tolerance = tolerance
            self.passed = passed
            self.note = note
        }

        /// A failed entry for a case that could not be compared.
        public static func failure(_ name: String, output: String = "-", note: String) -> Entry {
            Entry(
                name: name, output: output, maxAbsError: .nan, referenceMagnitude: .nan, relativeError: .nan,
                tolerance: 0, passed: false, note: note)
        }

        /// Compares `actual` with `expected`: shapes must match (ignoring leading 1s) and the largest absolute error
        /// must be at most `tolerance` × the reference's largest magnitude.
        public static func compare(
            _ name: String, output: String, actual: Tensor, expected: Tensor,
            tolerance: Float, note: String? = nil
        ) -> Entry {
            func squeezed(_ s: [Int]) -> [Int] { Array(s.drop(while: { $0 == 1 })) }
            guard squeezed(actual.shape) == squeezed(expected.shape) else {
                return failure(name, output: output, note: "shape \(actual.shape), expected \(expected.shape)")
            }
            let a = actual.toArray()
            let e = expected.toArray()
            var maxError: Float = 0
            var magnitude: Float = 0
            for i in 0..<e.count {
                let difference = abs(a[i] - e[i])
                if difference > maxError || difference.isNaN { maxError = difference.isNaN ? .infinity : difference }
                magnitude = max(magnitude, abs(e[i]))
            }
            let relative = magnitude > 0 ? maxError / magnitude : maxError
            return Entry(
                name: name, output: output, maxAbsError: maxError, referenceMagnitude: magnitude,
                relativeError: relative, tolerance: tolerance, passed: relative <= tolerance, note: note)
        }
    }

    /// What was checked, e.g. `ops`.
    public var kind: String
    /// The golden file the references came from.
    public var source: String
    public var entries: [Entry]

    public init(kind: String, source: String, entries: [Entry] = []) {
        self.kind = kind
        self.source = source
        self.entries = entries
    }

    /// True when there is at least one entry and every entry passed.
    public var passed: Bool { !entries.isEmpty && entries.allSatisfy(\.passed) }
    public var failures: [Entry] { entries.filter { !$0.passed } }

    /// One line per entry plus a summary line, for the terminal.
    public var lines: [String] {
        let width = entries.map { $0.name.count + $0.output.count + 1 }.max() ?? 10
        var result = entries.map { e -> String in
            let label = "\(e.name).\(e.output)".padding(toLength: max(width, 10), withPad: " ", startingAt: 0)
            let status = e.passed ? "ok  " : "FAIL"
            if e.maxAbsError.isNaN { return "\(status) \(label)  \(e.note ?? "")" }
            var line =
                "\(status) \(label)  max abs err \(format(e.maxAbsError))  rel \(format(e.relativeError))"
                + "  (tol \(format(e.tolerance)), |ref| max \(format(e.referenceMagnitude)))"
            if let note = e.note { line += "  \(note)" }
            return line
        }
        let passedCount = entries.filter(\.passed).count
        let cases = Set(entries.map(\.name)).count
        result.append("\(kind): \(passedCount)/\(entries.count) outputs of \(cases) cases passed (\(source))")
        return result
    }

    private func format(_ value: Float) -> String {
        value == 0 ? "0" : String(format: "%.2e", Double(value))
    }
}
