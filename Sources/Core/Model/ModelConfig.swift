/// The architecture families the engine runs. Both are pre-norm decoders with RMSNorm,
/// rotary position embeddings, grouped-query attention and a SwiGLU MLP; Qwen2 adds
/// biases on the q/k/v projections.
public enum ModelFamily: String, Sendable, Codable {
    case llama
    case qwen2
}

/// The shape and hyper-parameters of a decoder-only transformer, as read from a GGUF
/// header or a Hugging Face `config.json`.
public struct ModelConfig: Sendable, Equatable {
    public var family: ModelFamily
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDim: Int
    public var ropeTheta: Double
    public var rmsNormEps: Float
    public var contextLength: Int
    public var tieWordEmbeddings: Bool

    public init(
        family: ModelFamily, vocabSize: Int, hiddenSize: Int, intermediateSize: Int,
        layerCount: Int, headCount: Int, kvHeadCount: Int, headDim: Int,
        ropeTheta: Double, rmsNormEps: Float, contextLength: Int, tieWordEmbeddings: Bool
    ) {
        self.family = family
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.kvHeadCount = kvHeadCount
        self.headDim = headDim
        self.ropeTheta = ropeTheta
        self.rmsNormEps = rmsNormEps
        self.contextLength = contextLength
        self.tieWordEmbeddings = tieWordEmbeddings
    }
}
