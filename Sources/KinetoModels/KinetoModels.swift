/// Networks that run on the engine (RIFE, FeatureFlow) and the classical interpolators.
public enum KinetoModels {}
