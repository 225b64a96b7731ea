import Foundation

/// The model files of a Hugging Face directory, as `save_pretrained` lays them out, so
/// that transformers' `AutoModelForCausalLM.from_pretrained` and realign's `ModelLoader`
/// both load it: `config.json` (`LlamaForCausalLM` or `Qwen2ForCausalLM`),
/// `model.safetensors` (F32, Hugging Face names; no `lm_head.weight` when tied) and
/// `generation_config.json` (bos / eos).
public enum HuggingFaceModelFiles {
    /// `config.json` for `config`. RoPE theta is written in both places transformers has
    /// used (`rope_theta`, 4.x; `rope_parameters`, 5.x); Qwen2 gets its `layer_types`.
    public static func configJSON(_ config: ModelConfig, bosTokenID: Int32?, eosTokenIDs: [Int32]) -> JSONValue {
        var members: [JSONMember] = [
            JSONMember("architectures", .array([.string(config.family == .llama ? "LlamaForCausalLM" : "Qwen2ForCausalLM")])),
            JSONMember("model_type", .string(config.family.rawValue)),
            JSONMember("attention_dropout", .double(0)),
            JSONMember("bos_token_id", bosTokenID.map { .integer(Int64($0)) } ?? .null),
            JSONMember("eos_token_id", tokenIDs(eosTokenIDs)),
            JSONMember("dtype", .string("float32")),
            JSONMember("torch_dtype", .string("float32")),
            JSONMember("hidden_act", .string("silu")),
            JSONMember("hidden_size", .integer(Int64(config.hiddenSize))),
            JSONMember("intermediate_size", .integer(Int64(config.intermediateSize))),
            JSONMember("num_hidden_layers", .integer(Int64(config.layerCount))),
            JSONMember("num_attention_heads", .integer(Int64(config.headCount))),
            JSONMember("num_key_value_heads", .integer(Int64(config.kvHeadCount))),
            JSONMember("head_dim", .integer(Int64(config.headDim))),
            JSONMember("max_position_embeddings", .integer(Int64(config.contextLength))),
            // The shortest decimal of the float32 epsilon (1e-06, not 9.99999997e-07).
            JSONMember("rms_norm_eps", .double(Double(config.rmsNormEps.description) ?? Double(config.rmsNormEps))),
            JSONMember("rope_theta", .double(config.ropeTheta)),
            JSONMember("rope_parameters", .object([
                JSONMember("rope_theta", .double(config.ropeTheta)), JSONMember("rope_type", .string("default")),
            ])),
            JSONMember("rope_scaling", .null),
            JSONMember("tie_word_embeddings", .bool(config.tieWordEmbeddings)),
            JSONMember("vocab_size", .integer(Int64(config.vocabSize))),
            JSONMember("use_cache", .bool(true)),
        ]
        switch config.family {
        case .llama:
            members += [JSONMember("attention_bias", .bool(false)), JSONMember("mlp_bias", .bool(false)),
                        JSONMember("pretraining_tp", .integer(1))]
        case .qwen2:
            members += [
                JSONMember("use_sliding_window", .bool(false)), JSONMember("sliding_window", .null),
                JSONMember("max_window_layers", .integer(Int64(config.layerCount))),
                JSONMember("layer_types", .array(Array(repeating: .string("full_attention"), count: config.layerCount))),
            ]
        }
        return .object(members)
    }

    public static func generationConfigJSON(bosTokenID: Int32?, eosTokenIDs: [Int32]) -> JSONValue {
        .object([
            JSONMember("bos_token_id", bosTokenID.map { .integer(Int64($0)) } ?? .null),
            JSONMember("eos_token_id", tokenIDs(eosTokenIDs)),
        ])
    }

    /// Every weight in F32 under its Hugging Face name, with `{"format": "pt"}` metadata
    /// as `save_pretrained` writes.
    public static func weightsWriter(_ weights: ModelWeights) -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: ["format": "pt"])
        for (name, shape, values) in namedTensors(weights) {
            // Names are unique and shapes match the values by construction.
            try! writer.add(name, shape: shape, float32: values)
        }
        return writer
    }

    /// The weights as (name, shape, values); the output head only when untied.
    static func namedTensors(_ weights: ModelWeights) -> [(String, [Int], [Float])] {
        func matrix(_ name: String, _ weight: LinearWeight) -> (String, [Int], [Float]) {
            let m = weight.dequantized()
            return (name, [m.rows, m.cols], m.values)
        }
        func vector(_ name: String, _ v: [Float]) -> (String, [Int], [Float]) { (name, [v.count], v) }
        var tensors = [matrix(ParameterNames.embedding, weights.embedding)]
        for (index, layer) in weights.layers.enumerated() {
            func name(_ part: String) -> String { ParameterNames.layer(index, part) }
            tensors += [
                vector(name("input_layernorm.weight"), layer.inputNorm),
                matrix(name("self_attn.q_proj.weight"), layer.qProj),
                matrix(name("self_attn.k_proj.weight"), layer.kProj),
                matrix(name("self_attn.v_proj.weight"), layer.vProj),
                matrix(name("self_attn.o_proj.weight"), layer.oProj),
                vector(name("post_attention_layernorm.weight"), layer.postAttentionNorm),
                matrix(name("mlp.gate_proj.weight"), layer.gateProj),
                matrix(name("mlp.up_proj.weight"), layer.upProj),
                matrix(name("mlp.down_proj.weight"), layer.downProj),
            ]
            if let bias = layer.qBias { tensors.append(vector(name("self_attn.q_proj.bias"), bias)) }
            if let bias = layer.kBias { tensors.append(vector(name("self_attn.k_proj.bias"), bias)) }
            if let bias = layer.vBias { tensors.append(vector(name("self_attn.v_proj.bias"), bias)) }
        }
        tensors.append(vector(ParameterNames.finalNorm, weights.finalNorm))
        if !weights.config.tieWordEmbeddings { tensors.append(matrix(ParameterNames.outputHead, weights.outputHead)) }
        return tensors
    }

    private static func tokenIDs(_ ids: [Int32]) -> JSONValue {
        switch ids.count {
        case 0: .null
        case 1: .integer(Int64(ids[0]))
        default: .array(ids.map { .integer(Int64($0)) })
        }
    }
}
