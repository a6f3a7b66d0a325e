import KinetoEngine

enum KinetoEngineTensor {
    static func make(_ shape: [Int], _ values: [Float]) -> Tensor { Tensor(shape: shape, values: values) }
}
