/// The bytes of the weights one decode step reads once each: the embedding (which is
/// also the output head of a tied model such as SmolLM2) and every layer's linear
/// weights, as they are held - float32 (4 bytes a value), or quantised blocks.
public enum WeightFootprint {
    public static func bytes(of weights: ModelWeights) -> Int {
        weights.layers.reduce(bytes(of: weights.embedding)) { sum, layer in
            sum + [layer.qProj, layer.kProj, layer.vProj, layer.oProj, layer.gateProj, layer.upProj, layer.downProj]
                .reduce(0) { $0 + bytes(of: $1) }
        }
    }

    public static func bytes(of weight: LinearWeight) -> Int {
        switch weight {
        case .dense(let matrix): matrix.rows * matrix.cols * MemoryLayout<Float>.size
        case .quantized(let matrix): matrix.rows * matrix.rowBytes
        }
    }
}
