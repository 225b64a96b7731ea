/// What a caller of `GenerationClient` receives for one request: text as it is
/// generated, then the final message. The texts of the `.text` events, joined, are the
/// final message's `text`.
public enum GenerationEvent: Sendable, Equatable {
    /// Newly generated text and the tokens that released it (text may be empty).
    case text(String, tokenIDs: [Int32])
    /// The request is done; nothing follows.
    case finished(GenerateReply.Final)
}
