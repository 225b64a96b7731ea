/// The parameters of one decoder layer, in Hugging Face naming and orientation.
/// Query and key rows are always in Hugging Face order (GGUF `llama` files are
/// un-permuted when loaded), so the forward pass uses half-split RoPE for every file.
public struct LayerWeights: Sendable, Equatable {
    public var inputNorm: [Float]
    public var qProj: Matrix
    public var kProj: Matrix
    public var vProj: Matrix
    public var oProj: Matrix
    public var qBias: [Float]?
    public var kBias: [Float]?
    public var vBias: [Float]?
    public var postAttentionNorm: [Float]
    public var gateProj: Matrix
    public var upProj: Matrix
    public var downProj: Matrix

    public init(
        inputNorm: [Float], qProj: Matrix, kProj: Matrix, vProj: Matrix, oProj: Matrix,
        qBias: [Float]?, kBias: [Float]?, vBias: [Float]?, postAttentionNorm: [Float],
        gateProj: Matrix, upProj: Matrix, downProj: Matrix
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
}

/// All parameters of a model, dequantised to float32 (the exact path: the fidelity
/// goldens assume exact dequantisation). A tied output head shares the embedding's
/// storage (copy-on-write arrays), so it costs no memory.
public struct ModelWeights: Sendable, Equatable {
    public var config: ModelConfig
    public var embedding: Matrix
    public var layers: [LayerWeights]
    public var finalNorm: [Float]
    public var outputHead: Matrix

    public init(config: ModelConfig, embedding: Matrix, layers: [LayerWeights], finalNorm: [Float], outputHead: Matrix) {
        self.config = config
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputHead = outputHead
    }
}
