/// Jobs: frame-rate scheduling and the bounded-queue pipeline from decoder to encoder.
public enum KinetoPipeline {}
