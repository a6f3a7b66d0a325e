/// Weight files without Python: safetensors (`SafeTensorsFile`, `SafeTensorsWriter`), PyTorch checkpoints in
/// both serializations (`TorchCheckpoint`, through a restricted unpickler), TFLite models (`TFLiteModel`),
/// deterministic test weights (`DeterministicWeights`, `DeterministicManifest`) and `SHA256` for checking downloads.
public enum KinetoWeights {}
