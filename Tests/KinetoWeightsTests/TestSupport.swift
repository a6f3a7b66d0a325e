import Foundation
import KinetoTestSupport

/// A fresh temporary directory, removed when `body` returns.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let scratch = try Scratch("kineto-weights")
    return try body(scratch.directory)
}
