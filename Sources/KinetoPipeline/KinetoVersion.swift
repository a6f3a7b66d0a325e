/// Kineto's version: what `kineto version` prints and what each worker of a shared queue reports, from one place.
public enum KinetoVersion {
    public static let string = "0.1.0"
}
