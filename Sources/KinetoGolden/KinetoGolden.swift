/// Checks Kineto's networks and operators against reference tensors from the official implementations.
public enum KinetoGolden {}
