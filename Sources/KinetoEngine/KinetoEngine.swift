/// The tensor engine: float32 NCHW tensors and PyTorch-compatible operators on OpenBLAS.
public enum KinetoEngine {}
