/// Which parameters of a model train. Frozen parameters get no weight gradient and no
/// optimiser state; activation gradients still flow through frozen layers to any
/// trainable layer below them. With tied embeddings the one shared table trains when
/// `embedding` is set (`outputHead` is then ignored).
public struct TrainableParameters: Sendable, Equatable {
    public var embedding: Bool
    public var layers: Set<Int>
    public var finalNorm: Bool
    public var outputHead: Bool

    public init(embedding: Bool, layers: Set<Int>, finalNorm: Bool, outputHead: Bool) {
        self.embedding = embedding
        self.layers = layers
        self.finalNorm = finalNorm
        self.outputHead = outputHead
    }

    /// Every parameter of a model with `layerCount` layers (TrRa trains the whole student).
    public static func all(layerCount: Int) -> TrainableParameters {
        TrainableParameters(embedding: true, layers: Set(0..<layerCount), finalNorm: true, outputHead: true)
    }

    /// Only the given decoder layers (InRa trains only its adapter layer).
    public static func only(layers: Set<Int>) -> TrainableParameters {
        TrainableParameters(embedding: false, layers: layers, finalNorm: false, outputHead: false)
    }
}
