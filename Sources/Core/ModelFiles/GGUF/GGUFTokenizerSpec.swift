extension TokenizerSpec {
    /// `tokenizer.ggml.token_type` values whose tokens are matched whole inside text.
    static let ggufControlTokenType = 3
    static let ggufUserDefinedTokenType = 4

    /// The byte-level BPE tokenizer described by a GGUF file's `tokenizer.ggml.*` keys
    /// (`model` must be `gpt2`). Control and user-defined tokens are the special ones.
    public init(gguf: GGUFFile) throws(FileError) {
        let model = try gguf.requiredString("tokenizer.ggml.model")
        guard model == "gpt2" else {
            throw gguf.error("tokenizer.ggml.model \(model) is not supported (only gpt2, byte-level BPE)")
        }
        guard let tokens = try gguf.stringArray("tokenizer.ggml.tokens") else {
            throw gguf.error("metadata tokenizer.ggml.tokens is missing")
        }
        let merges = try gguf.stringArray("tokenizer.ggml.merges") ?? []
        var specialTokenIds: [Int32] = []
        if let types = try gguf.integerArray("tokenizer.ggml.token_type") {
            guard types.count == tokens.count else {
                throw gguf.error("tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
            }
            for (id, type) in types.enumerated() where type == Self.ggufControlTokenType || type == Self.ggufUserDefinedTokenType {
                specialTokenIds.append(Int32(id))
            }
        }
        let preName = try gguf.string("tokenizer.ggml.pre") ?? "default"
        let preTokenizer: PreTokenizer
        switch preName {
        case "smollm": preTokenizer = .smollm
        case "qwen2", "deepseek-r1-qwen": preTokenizer = .qwen2
        case "gpt2", "default": preTokenizer = .gpt2
        default: throw gguf.error("tokenizer.ggml.pre \(preName) is not supported (smollm, qwen2, deepseek-r1-qwen, gpt2, default)")
        }
        func tokenId(_ key: String) throws(FileError) -> Int32? {
            guard let id = try gguf.integer(key) else { return nil }
            guard (0..<tokens.count).contains(id) else {
                throw gguf.error("metadata \(key) = \(id) is not a token id (vocabulary of \(tokens.count))")
            }
            return Int32(id)
        }
        self.init(
            tokens: tokens, merges: merges, specialTokenIds: specialTokenIds, preTokenizer: preTokenizer,
            bosTokenId: try tokenId("tokenizer.ggml.bos_token_id"),
            eosTokenId: try tokenId("tokenizer.ggml.eos_token_id"),
            addBOS: try gguf.bool("tokenizer.ggml.add_bos_token") ?? false)
    }
}
