/// A loaded model: its weights plus what a worker needs around them.
public struct ModelFile: Sendable {
    /// The GGUF file or Hugging Face directory it came from.
    public var path: String
    public var weights: ModelWeights
    /// From GGUF metadata; nil for Hugging Face directories (see `huggingFaceTokenizerJSON`).
    public var tokenizer: TokenizerSpec?
    /// The raw `tokenizer.json` of a Hugging Face directory.
    public var huggingFaceTokenizerJSON: [UInt8]?
    /// The raw `tokenizer_config.json` of a Hugging Face directory (bos/eos, add_bos_token).
    public var huggingFaceTokenizerConfigJSON: [UInt8]?
    public var chatTemplate: String?
    /// Ids that end generation: GGUF eos (and eot, when declared); Hugging Face
    /// `generation_config.json` `eos_token_id` (or `config.json`'s).
    public var stopTokenIds: [Int32]
    /// SHA-256 of the weight file bytes (all shards in order), lowercase hex.
    public var contentSHA256: String

    public init(
        path: String, weights: ModelWeights, tokenizer: TokenizerSpec?, huggingFaceTokenizerJSON: [UInt8]?,
        huggingFaceTokenizerConfigJSON: [UInt8]? = nil, chatTemplate: String?, stopTokenIds: [Int32], contentSHA256: String
    ) {
        self.path = path
        self.weights = weights
        self.tokenizer = tokenizer
        self.huggingFaceTokenizerJSON = huggingFaceTokenizerJSON
        self.huggingFaceTokenizerConfigJSON = huggingFaceTokenizerConfigJSON
        self.chatTemplate = chatTemplate
        self.stopTokenIds = stopTokenIds
        self.contentSHA256 = contentSHA256
    }
}
