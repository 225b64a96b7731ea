/// The parameters of one decoder layer, in Hugging Face naming and orientation.
/// Query and key rows are always in Hugging Face order (GGUF `llama` files are
/// un-permuted when loaded), so the forward pass uses half-split RoPE for every file.
public struct LayerWeights: Sendable, Equatable {
    public var inputNorm: [Float]
    public var qProj: LinearWeight
    public var kProj: LinearWeight
    public var vProj: LinearWeight
    public var oProj: LinearWeight
    public var qBias: [Float]?
    public var kBias: [Float]?
    public var vBias: [Float]?
    public var postAttentionNorm: [Float]
    public var gateProj: LinearWeight
    public var upProj: LinearWeight
    public var downProj: LinearWeight

    public init(
        inputNorm: [Float], qProj: LinearWeight, kProj: LinearWeight, vProj: LinearWeight, oProj: LinearWeight,
        qBias: [Float]?, kBias: [Float]?, vBias: [Float]?, postAttentionNorm: [Float],
        gateProj: LinearWeight, upProj: LinearWeight, downProj: LinearWeight
    ) {
        self.inputNorm = inputNorm
        self.qProj = qProj
        self.kProj = kProj
        self.vProj = vProj
        self.oProj = oProj
        self.qBias = qBias
        self.kBias = kBias
        self.vBias = vBias
        self.postAttentionNorm = postAttentionNorm
        self.gateProj = gateProj
        self.upProj = upProj
        self.downProj = downProj
    }

    /// A layer of float32 weights.
    public init(
        inputNorm: [Float], qProj: Matrix, kProj: Matrix, vProj: Matrix, oProj: Matrix,
        qBias: [Float]?, kBias: [Float]?, vBias: [Float]?, postAttentionNorm: [Float],
        gateProj: Matrix, upProj: Matrix, downProj: Matrix
    ) {
        self.init(
            inputNorm: inputNorm, qProj: .dense(qProj), kProj: .dense(kProj), vProj: .dense(vProj), oProj: .dense(oProj),
            qBias: qBias, kBias: kBias, vBias: vBias, postAttentionNorm: postAttentionNorm,
            gateProj: .dense(gateProj), upProj: .dense(upProj), downProj: .dense(downProj))
    }
}

/// All parameters of a model: float32 (the exact path: the fidelity goldens assume exact
/// dequantisation; training needs it) or, for GGUF inference on the fast path, with the
/// embedding and linear weights kept quantised. A tied output head shares the
/// embedding's storage (copy-on-write arrays, or the same mapped blocks), so it costs
/// no memory.
public struct ModelWeights: Sendable, Equatable {
    public var config: ModelConfig
    public var embedding: LinearWeight
    public var layers: [LayerWeights]
    public var finalNorm: [Float]
    public var outputHead: LinearWeight

    public init(config: ModelConfig, embedding: LinearWeight, layers: [LayerWeights], finalNorm: [Float], outputHead: LinearWeight) {
        self.config = config
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputHead = outputHead
    }

    /// A model of float32 weights.
    public init(config: ModelConfig, embedding: Matrix, layers: [LayerWeights], finalNorm: [Float], outputHead: Matrix) {
        self.init(config: config, embedding: .dense(embedding), layers: layers, finalNorm: finalNorm, outputHead: .dense(outputHead))
    }

    /// Whether the decoder layers' projections are kept quantised (the fast path).
    public var hasQuantizedLayers: Bool {
        layers.contains { layer in
            if case .quantized = layer.gateProj { true } else { false }
        }
    }
}
