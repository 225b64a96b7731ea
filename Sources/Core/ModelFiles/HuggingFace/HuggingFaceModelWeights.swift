extension ModelWeights {
    /// All weights of a Hugging Face directory (F32, F16 or BF16 safetensors), checked
    /// against the configuration: every expected tensor present with its shape, none
    /// left over. Tied embeddings need no `lm_head.weight` (one present is ignored).
    init(huggingFace directory: HuggingFaceDirectory) throws(FileError) {
        let config = directory.config
        // The layer table is sized from num_hidden_layers: bounded by the tensors first.
        let tensorCount = directory.shardOfTensor.count
        guard (1...max(1, tensorCount)).contains(config.layerCount) else {
            throw FileError(path: directory.path, problem: "num_hidden_layers \(config.layerCount) is not a layer count for \(tensorCount) tensors")
        }
        var loader = HuggingFaceWeightLoader(directory: directory)
        let hidden = config.hiddenSize
        let qRows = config.headCount * config.headDim
        let kvRows = config.kvHeadCount * config.headDim
        let hasBiases = config.family == .qwen2

        let embedding = try loader.matrix("model.embed_tokens.weight", rows: config.vocabSize, cols: hidden)
        var layers: [LayerWeights] = []
        layers.reserveCapacity(config.layerCount)
        for layer in 0..<config.layerCount {
            let prefix = "model.layers.\(layer)."
            layers.append(LayerWeights(
                inputNorm: try loader.vector(prefix + "input_layernorm.weight", count: hidden),
                qProj: try loader.matrix(prefix + "self_attn.q_proj.weight", rows: qRows, cols: hidden),
                kProj: try loader.matrix(prefix + "self_attn.k_proj.weight", rows: kvRows, cols: hidden),
                vProj: try loader.matrix(prefix + "self_attn.v_proj.weight", rows: kvRows, cols: hidden),
                oProj: try loader.matrix(prefix + "self_attn.o_proj.weight", rows: hidden, cols: qRows),
                qBias: hasBiases ? try loader.vector(prefix + "self_attn.q_proj.bias", count: qRows) : nil,
                kBias: hasBiases ? try loader.vector(prefix + "self_attn.k_proj.bias", count: kvRows) : nil,
                vBias: hasBiases ? try loader.vector(prefix + "self_attn.v_proj.bias", count: kvRows) : nil,
                postAttentionNorm: try loader.vector(prefix + "post_attention_layernorm.weight", count: hidden),
                gateProj: try loader.matrix(prefix + "mlp.gate_proj.weight", rows: config.intermediateSize, cols: hidden),
                upProj: try loader.matrix(prefix + "mlp.up_proj.weight", rows: config.intermediateSize, cols: hidden),
                downProj: try loader.matrix(prefix + "mlp.down_proj.weight", rows: hidden, cols: config.intermediateSize)))
        }
        let finalNorm = try loader.vector("model.norm.weight", count: hidden)
        let outputHead: Matrix
        if config.tieWordEmbeddings {
            loader.ignore("lm_head.weight")
            outputHead = embedding
        } else {
            outputHead = try loader.matrix("lm_head.weight", rows: config.vocabSize, cols: hidden)
        }
        try loader.requireAllTensorsUsed()
        self.init(config: config, embedding: embedding, layers: layers, finalNorm: finalNorm, outputHead: outputHead)
    }
}

/// Reads named tensors from a directory's shards with shape checks, remembering which
/// were read.
struct HuggingFaceWeightLoader {
    let directory: HuggingFaceDirectory
    private var used: Set<String> = []

    init(directory: HuggingFaceDirectory) {
        self.directory = directory
    }

    private mutating func floats(_ name: String, shape: [Int]) throws(FileError) -> [Float] {
        guard let shardIndex = directory.shardOfTensor[name] else {
            let files = directory.shards.map(\.name).joined(separator: ", ")
            throw FileError(path: directory.path, problem: "tensor \(name) (shape \(shape)) is missing from \(files)")
        }
        let shard = directory.shards[shardIndex].tensors
        let info = try shard.info(name)
        guard info.shape == shape else {
            throw FileError(path: shard.path, problem: "tensor \(name) has shape \(info.shape), expected \(shape) from config.json")
        }
        guard [.f32, .f16, .bf16].contains(info.dtype) else {
            throw FileError(path: shard.path, problem: "tensor \(name) is \(info.dtype.rawValue); only F32, F16 and BF16 weights are supported")
        }
        used.insert(name)
        return try shard.floats(name)
    }

    mutating func matrix(_ name: String, rows: Int, cols: Int) throws(FileError) -> Matrix {
        Matrix(rows: rows, cols: cols, values: try floats(name, shape: [rows, cols]))
    }

    mutating func vector(_ name: String, count: Int) throws(FileError) -> [Float] {
        try floats(name, shape: [count])
    }

    mutating func ignore(_ name: String) {
        used.insert(name)
    }

    /// Rotary inverse-frequency buffers some older checkpoints saved are derived, not weights.
    private static func isDerivedBuffer(_ name: String) -> Bool {
        name.hasSuffix("rotary_emb.inv_freq")
    }

    func requireAllTensorsUsed() throws(FileError) {
        let unused = directory.shardOfTensor.keys.filter { !used.contains($0) && !Self.isDerivedBuffer($0) }.sorted()
        if let first = unused.first {
            let shard = directory.shards[directory.shardOfTensor[first]!]
            throw FileError(path: shard.mapped.path, problem: "tensor \(first) is not used by the \(directory.config.family.rawValue) architecture (\(unused.count) unused in all)")
        }
    }
}
