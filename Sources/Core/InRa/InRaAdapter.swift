/// The InRa layer adapter and its file: a decoder layer in Hugging Face naming
/// (`model.layers.0.*`), read from or written to a safetensors file of its own, so a
/// worker can serve `base model + adapter file` (a quantised GGUF base included).
public enum InRaAdapter {
    /// The adapter at initialisation: a copy of the base's layer 0 with `o_proj` and
    /// `down_proj` zero, so it adds nothing to the residual stream (the identity).
    public static func identity(copying layer: LayerWeights) -> LayerWeights {
        var adapter = layer
        adapter.oProj = .dense(Matrix(zeros: layer.oProj.rows, layer.oProj.cols))
        adapter.downProj = .dense(Matrix(zeros: layer.downProj.rows, layer.downProj.cols))
        return adapter
    }

    static let prefix = "model.layers.\(InRaModel.adapterLayer)."

    /// Reads the adapter layer (tensors `model.layers.0.*`, F32/F16/BF16) for a base
    /// model of `config`; every tensor must be there with the base layer's shape and no
    /// other may be.
    public static func load(path: String, config: ModelConfig) throws(FileError) -> LayerWeights {
        let file = try SafetensorsFile(path: path)
        var used: Set<String> = []
        func floats(_ suffix: String, _ shape: [Int]) throws(FileError) -> [Float] {
            let name = prefix + suffix
            guard let info = file.tensors[name] else {
                throw FileError(path: path, problem: "adapter tensor \(name) (shape \(shape)) is missing")
            }
            guard info.shape == shape else {
                throw FileError(path: path, problem: "adapter tensor \(name) has shape \(info.shape); the base model needs \(shape)")
            }
            guard [.f32, .f16, .bf16].contains(info.dtype) else {
                throw FileError(path: path, problem: "adapter tensor \(name) is \(info.dtype.rawValue); only F32, F16 and BF16 are supported")
            }
            used.insert(name)
            return try file.floats(name)
        }
        func matrix(_ suffix: String, _ rows: Int, _ cols: Int) throws(FileError) -> Matrix {
            Matrix(rows: rows, cols: cols, values: try floats(suffix, [rows, cols]))
        }
        let hidden = config.hiddenSize
        let qRows = config.headCount * config.headDim
        let kvRows = config.kvHeadCount * config.headDim
        let biases = config.family == .qwen2
        let layer = LayerWeights(
            inputNorm: try floats("input_layernorm.weight", [hidden]),
            qProj: try matrix("self_attn.q_proj.weight", qRows, hidden),
            kProj: try matrix("self_attn.k_proj.weight", kvRows, hidden),
            vProj: try matrix("self_attn.v_proj.weight", kvRows, hidden),
            oProj: try matrix("self_attn.o_proj.weight", hidden, qRows),
            qBias: biases ? try floats("self_attn.q_proj.bias", [qRows]) : nil,
            kBias: biases ? try floats("self_attn.k_proj.bias", [kvRows]) : nil,
            vBias: biases ? try floats("self_attn.v_proj.bias", [kvRows]) : nil,
            postAttentionNorm: try floats("post_attention_layernorm.weight", [hidden]),
            gateProj: try matrix("mlp.gate_proj.weight", config.intermediateSize, hidden),
            upProj: try matrix("mlp.up_proj.weight", config.intermediateSize, hidden),
            downProj: try matrix("mlp.down_proj.weight", hidden, config.intermediateSize))
        if let extra = file.tensorNames.first(where: { !used.contains($0) }) {
            throw FileError(path: path, problem: "tensor \(extra) is not part of a \(config.family.rawValue) adapter layer")
        }
        return layer
    }
}

extension LayerWeights {
    /// The layer's tensors under Hugging Face names, `prefix` being `model.layers.<i>.`.
    func huggingFaceTensors(prefix: String) -> [(name: String, shape: [Int], values: [Float])] {
        func matrix(_ name: String, _ weight: LinearWeight) -> (String, [Int], [Float]) {
            let m = weight.dequantized()
            return (prefix + name, [m.rows, m.cols], m.values)
        }
        func vector(_ name: String, _ v: [Float]) -> (String, [Int], [Float]) { (prefix + name, [v.count], v) }
        var tensors = [
            vector("input_layernorm.weight", inputNorm),
            matrix("self_attn.q_proj.weight", qProj),
            matrix("self_attn.k_proj.weight", kProj),
            matrix("self_attn.v_proj.weight", vProj),
            matrix("self_attn.o_proj.weight", oProj),
            vector("post_attention_layernorm.weight", postAttentionNorm),
            matrix("mlp.gate_proj.weight", gateProj),
            matrix("mlp.up_proj.weight", upProj),
            matrix("mlp.down_proj.weight", downProj),
        ]
        if let qBias { tensors.append(vector("self_attn.q_proj.bias", qBias)) }
        if let kBias { tensors.append(vector("self_attn.k_proj.bias", kBias)) }
        if let vBias { tensors.append(vector("self_attn.v_proj.bias", vBias)) }
        return tensors.map { (name: $0.0, shape: $0.1, values: $0.2) }
    }
}
