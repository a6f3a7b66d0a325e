/// Media I/O: decoding, probing, colour conversion and encoding through FFmpeg's libraries.
public enum KinetoMedia {}
