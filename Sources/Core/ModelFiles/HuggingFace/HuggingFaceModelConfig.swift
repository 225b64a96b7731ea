extension ModelConfig {
    /// Defaults of transformers' LlamaConfig / Qwen2Config for keys a config may omit.
    static let huggingFaceDefaultRopeTheta = 10000.0
    static let huggingFaceDefaultRMSNormEps = 1e-6

    /// The configuration in a Hugging Face `config.json` (`model_type` llama or qwen2).
    /// RoPE theta comes from `rope_parameters.rope_theta` (transformers 5) or the
    /// top-level `rope_theta` (4.x); only default (unscaled) RoPE is supported.
    init(huggingFaceConfig json: HuggingFaceJSON) throws(FileError) {
        let modelType = try json.string("model_type") ?? "(missing)"
        guard let family = ModelFamily(rawValue: modelType) else {
            throw json.error("model_type \(modelType) is not supported (only llama and qwen2)")
        }
        let hidden = try json.requiredInteger("hidden_size")
        let heads = try json.requiredInteger("num_attention_heads")
        let kvHeads = try json.integer("num_key_value_heads") ?? heads
        guard hidden > 0, heads > 0, kvHeads > 0, heads % kvHeads == 0 else {
            throw json.error("hidden_size \(hidden), num_attention_heads \(heads), num_key_value_heads \(kvHeads) are inconsistent")
        }
        let headDim = try json.integer("head_dim") ?? hidden / heads
        guard headDim > 0, headDim % 2 == 0 else { throw json.error("head_dim \(headDim) must be positive and even") }

        let ropeParameters = try json.object("rope_parameters")
        let ropeScaling = try json.object("rope_scaling")
        for (name, parameters) in [("rope_parameters", ropeParameters), ("rope_scaling", ropeScaling)] {
            guard let parameters else { continue }
            let declaredType = try parameters.string("rope_type")
            let legacyType = try parameters.string("type")
            let type = declaredType ?? legacyType ?? "default"
            guard type == "default" else { throw json.error("\(name) type \(type) is not supported (only default RoPE)") }
        }
        if let partial = try json.double("partial_rotary_factor"), partial != 1 {
            throw json.error("partial_rotary_factor \(partial) is not supported")
        }
        let nestedTheta = try ropeParameters?.double("rope_theta")
        let topLevelTheta = try json.double("rope_theta")
        let ropeTheta = nestedTheta ?? topLevelTheta ?? Self.huggingFaceDefaultRopeTheta

        switch family {
        case .llama:
            if try json.bool("attention_bias") == true { throw json.error("attention_bias true is not supported (o_proj bias)") }
            if try json.bool("mlp_bias") == true { throw json.error("mlp_bias true is not supported") }
        case .qwen2:
            if try json.bool("use_sliding_window") == true { throw json.error("use_sliding_window true is not supported") }
        }
        self.init(
            family: family,
            vocabSize: try json.requiredInteger("vocab_size"),
            hiddenSize: hidden,
            intermediateSize: try json.requiredInteger("intermediate_size"),
            layerCount: try json.requiredInteger("num_hidden_layers"),
            headCount: heads,
            kvHeadCount: kvHeads,
            headDim: headDim,
            ropeTheta: ropeTheta,
            rmsNormEps: Float(try json.double("rms_norm_eps") ?? Self.huggingFaceDefaultRMSNormEps),
            contextLength: try json.requiredInteger("max_position_embeddings"),
            tieWordEmbeddings: try json.bool("tie_word_embeddings") ?? false)
    }
}
