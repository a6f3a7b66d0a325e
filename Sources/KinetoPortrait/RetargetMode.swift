/// How the driving face's motion reaches the portrait.
public enum RetargetMode: String, Sendable, CaseIterable, Codable {
    /// Only changes relative to the reference driving frame are transferred (head rotation, scale and shift,
    /// landmark displacements), applied to the portrait's own face shape: the portrait keeps its identity.
    case relative
    /// The driving face's normalized shape (and head angle) replaces the portrait's: the portrait's face takes the
    /// driver's proportions (PuppeteerGAN's "identity mismatch"), placed where the portrait's face is.
    case absolute
}
