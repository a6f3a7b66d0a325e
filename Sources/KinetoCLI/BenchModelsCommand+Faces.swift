import Foundation
import KinetoEngine
import KinetoModels

extension BenchModelsCommand {
    /// One line per installed MediaPipe face model: milliseconds per frame at its input size (best of `repeats`
    /// after one warm-up); a model that is not installed gets a line saying so.
    static func benchFaceModels(repeats: Int) {
        for model in MediaPipeModel.allCases {
            do {
                let executor = try TFLiteGraphExecutor(contentsOf: try model.installedFile())
                let s = executor.inputShapes[0]
                let input = Tensor(
                    shape: [1, s[3], s[1], s[2]],
                    values: (0..<(s[1] * s[2] * s[3])).map { Float(($0 * 7919) % 255) / 255 })
                _ = try executor.run([input])
                var best = Double.infinity
                for _ in 0..<repeats {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try executor.run([input])
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                print(
                    String(
                        format: "%@ %dx%d: %.2f ms/frame (best of %d)", model.descriptor.id, s[2], s[1], best, repeats))
            } catch {
                print("\(model.descriptor.id): \(error)")
            }
        }
    }
}
