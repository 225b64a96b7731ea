extension ModelConfig {
    /// llama.cpp's default when `<arch>.rope.freq_base` is absent.
    static let ggufDefaultRopeTheta = 10000.0

    /// The configuration of a `llama` or `qwen2` GGUF file, from its `<arch>.*` keys.
    /// The vocabulary size is `<arch>.vocab_size` or else the token list's length;
    /// `tieWordEmbeddings` is true when there is no `output.weight`.
    public init(gguf: GGUFFile) throws(FileError) {
        let architecture = try gguf.requiredString("general.architecture")
        guard let family = ModelFamily(rawValue: architecture) else {
            throw gguf.error("architecture \(architecture) is not supported (only llama and qwen2)")
        }
        let prefix = architecture + "."
        let hidden = try gguf.requiredInteger(prefix + "embedding_length")
        let heads = try gguf.requiredInteger(prefix + "attention.head_count")
        let kvHeads = try gguf.integer(prefix + "attention.head_count_kv") ?? heads
        guard hidden > 0, heads > 0, kvHeads > 0, heads % kvHeads == 0 else {
            throw gguf.error("embedding_length \(hidden), head_count \(heads), head_count_kv \(kvHeads) are inconsistent")
        }
        let headDim = try gguf.integer(prefix + "attention.key_length") ?? hidden / heads
        if let valueLength = try gguf.integer(prefix + "attention.value_length"), valueLength != headDim {
            throw gguf.error("attention.value_length \(valueLength) differs from key_length \(headDim), which is not supported")
        }
        guard headDim > 0, headDim % 2 == 0 else { throw gguf.error("head dimension \(headDim) must be positive and even") }
        if let ropeDimensions = try gguf.integer(prefix + "rope.dimension_count"), ropeDimensions != headDim {
            throw gguf.error("rope.dimension_count \(ropeDimensions) differs from the head dimension \(headDim) (partial RoPE is not supported)")
        }
        if let scaling = try gguf.string(prefix + "rope.scaling.type"), scaling != "none" {
            throw gguf.error("rope.scaling.type \(scaling) is not supported")
        }
        let vocabSize: Int
        if let declared = try gguf.integer(prefix + "vocab_size") {
            vocabSize = declared
        } else if let tokens = gguf.metadata["tokenizer.ggml.tokens"]?.arrayValues {
            vocabSize = tokens.count
        } else {
            throw gguf.error("neither \(prefix)vocab_size nor tokenizer.ggml.tokens gives the vocabulary size")
        }
        guard let epsilon = try gguf.floatingPoint(prefix + "attention.layer_norm_rms_epsilon") else {
            throw gguf.error("metadata \(prefix)attention.layer_norm_rms_epsilon is missing")
        }
        self.init(
            family: family,
            vocabSize: vocabSize,
            hiddenSize: hidden,
            intermediateSize: try gguf.requiredInteger(prefix + "feed_forward_length"),
            layerCount: try gguf.requiredInteger(prefix + "block_count"),
            headCount: heads,
            kvHeadCount: kvHeads,
            headDim: headDim,
            ropeTheta: try gguf.floatingPoint(prefix + "rope.freq_base") ?? Self.ggufDefaultRopeTheta,
            rmsNormEps: Float(epsilon),
            contextLength: try gguf.requiredInteger(prefix + "context_length"),
            tieWordEmbeddings: gguf.tensor(named: "output.weight") == nil)
    }
}
