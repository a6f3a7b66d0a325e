/// PyTorch-compatible operators over `Tensor`s (semantics follow `torch.nn.functional`; see each function).
///
/// Every operator returns a new tensor drawn from its first input's `TensorPool` (heap memory if that input is not
/// pooled) unless an `out:` tensor is given, which may be a channel view of a larger tensor. Inputs are never
/// modified. Work is split over the cores with `Parallel`; GEMMs go to OpenBLAS's `cblas_sgemm`.
public enum Ops {
    /// The output tensor: `out` after checking its shape, or a new one from `like`'s pool.
    static func output(_ shape: [Int], like: Tensor, out: Tensor?, _ op: String) -> Tensor {
        if let out {
            Engine.check(out.shape == shape, "\(op): out has shape \(out.shape), expected \(shape)")
            return out
        }
        return Tensor.empty(shape, like: like)
    }
}
