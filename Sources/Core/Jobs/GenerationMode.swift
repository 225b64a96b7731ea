/// How a generation request makes its logits (docs/generation.md).
public enum GenerationMode: String, Sendable, Equatable, CaseIterable {
    /// One model as it is; for an InRa model, the aligned stream alone (the expanded model).
    case plain
    /// The aligned and unaligned streams of one InRa model, mixed by lambda.
    case inra
    /// Two served models, `ref` and `aligned`, mixed by lambda.
    case dera
}
