extension ModelWeights {
    /// All weights of a `llama` or `qwen2` GGUF file, dequantised to float32 in Hugging
    /// Face naming and orientation. `llama` `attn_q`/`attn_k` rows (and biases, if any)
    /// are un-permuted to Hugging Face order; `qwen2` files are already in that order.
    /// Every tensor must have the shape the configuration implies, and a tensor the
    /// architecture does not use is an error (it would otherwise be silently ignored).
    public init(gguf: GGUFFile) throws(FileError) {
        let config = try ModelConfig(gguf: gguf)
        var loader = GGUFWeightLoader(gguf: gguf, config: config)
        let hidden = config.hiddenSize
        let qRows = config.headCount * config.headDim
        let kvRows = config.kvHeadCount * config.headDim
        let unpermute = config.family == .llama
        let biasesRequired = config.family == .qwen2

        let embedding = try loader.matrix("token_embd.weight", rows: config.vocabSize, cols: hidden)
        var layers: [LayerWeights] = []
        layers.reserveCapacity(config.layerCount)
        for layer in 0..<config.layerCount {
            let prefix = "blk.\(layer)."
            layers.append(LayerWeights(
                inputNorm: try loader.vector(prefix + "attn_norm.weight", count: hidden),
                qProj: try loader.matrix(prefix + "attn_q.weight", rows: qRows, cols: hidden, unpermute: unpermute),
                kProj: try loader.matrix(prefix + "attn_k.weight", rows: kvRows, cols: hidden, unpermute: unpermute),
                vProj: try loader.matrix(prefix + "attn_v.weight", rows: kvRows, cols: hidden),
                oProj: try loader.matrix(prefix + "attn_output.weight", rows: hidden, cols: qRows),
                qBias: try loader.bias(prefix + "attn_q.bias", count: qRows, required: biasesRequired, unpermute: unpermute),
                kBias: try loader.bias(prefix + "attn_k.bias", count: kvRows, required: biasesRequired, unpermute: unpermute),
                vBias: try loader.bias(prefix + "attn_v.bias", count: kvRows, required: biasesRequired),
                postAttentionNorm: try loader.vector(prefix + "ffn_norm.weight", count: hidden),
                gateProj: try loader.matrix(prefix + "ffn_gate.weight", rows: config.intermediateSize, cols: hidden),
                upProj: try loader.matrix(prefix + "ffn_up.weight", rows: config.intermediateSize, cols: hidden),
                downProj: try loader.matrix(prefix + "ffn_down.weight", rows: hidden, cols: config.intermediateSize)))
        }
        let finalNorm = try loader.vector("output_norm.weight", count: hidden)
        let outputHead = config.tieWordEmbeddings
            ? embedding
            : try loader.matrix("output.weight", rows: config.vocabSize, cols: hidden)
        try loader.requireAllTensorsUsed()
        self.init(config: config, embedding: embedding, layers: layers, finalNorm: finalNorm, outputHead: outputHead)
    }
}

/// Reads named tensors of a GGUF file with shape checks, remembering which were read.
struct GGUFWeightLoader {
    let gguf: GGUFFile
    let config: ModelConfig
    private var used: Set<String> = []

    init(gguf: GGUFFile, config: ModelConfig) {
        self.gguf = gguf
        self.config = config
    }

    private mutating func floats(_ name: String, expecting dimensions: [Int]) throws(FileError) -> [Float] {
        guard let tensor = gguf.tensor(named: name) else {
            throw gguf.error("tensor \(name) is missing (expected ne \(dimensions))")
        }
        guard tensor.dimensions == dimensions else {
            throw gguf.error("tensor \(name) has ne \(tensor.dimensions), expected \(dimensions) for this \(config.family.rawValue) configuration")
        }
        used.insert(name)
        return try Dequantization.floats(of: tensor, bytes: gguf.bytes(of: tensor), path: gguf.path)
    }

    /// A `[rows, cols]` matrix (GGUF ne `[cols, rows]`), optionally un-permuted per head.
    mutating func matrix(_ name: String, rows: Int, cols: Int, unpermute: Bool = false) throws(FileError) -> Matrix {
        let values = try floats(name, expecting: [cols, rows])
        return Matrix(rows: rows, cols: cols, values: unpermute ? huggingFaceOrder(values, rows: rows, cols: cols) : values)
    }

    mutating func vector(_ name: String, count: Int) throws(FileError) -> [Float] {
        try floats(name, expecting: [count])
    }

    mutating func bias(_ name: String, count: Int, required: Bool, unpermute: Bool = false) throws(FileError) -> [Float]? {
        guard required || gguf.tensor(named: name) != nil else { return nil }
        let values = try floats(name, expecting: [count])
        return unpermute ? huggingFaceOrder(values, rows: count, cols: 1) : values
    }

    private func huggingFaceOrder(_ values: [Float], rows: Int, cols: Int) -> [Float] {
        let headDim = config.headDim
        return [Float](unsafeUninitializedCapacity: values.count) { buffer, initialized in
            values.withUnsafeBufferPointer { source in
                for row in 0..<rows {
                    let target = LlamaRowPermutation.huggingFaceRow(ofGGUFRow: row, headDim: headDim)
                    (buffer.baseAddress! + target * cols).update(from: source.baseAddress! + row * cols, count: cols)
                }
            }
            initialized = values.count
        }
    }

    func requireAllTensorsUsed() throws(FileError) {
        if let unused = gguf.tensors.first(where: { !used.contains($0.name) }) {
            throw gguf.error("tensor \(unused.name) is not used by the \(config.family.rawValue) architecture (\(gguf.tensors.count - used.count) unused in all)")
        }
    }
}
