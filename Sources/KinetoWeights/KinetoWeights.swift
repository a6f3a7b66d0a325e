/// Weight files: safetensors, PyTorch checkpoints (zip and legacy), deterministic test weights.
public enum KinetoWeights {}
