/// An InRa model: a layer adapter (layer 0) in front of a base model's layers, one set
/// of weights serving two streams. The aligned stream is the whole stack (embeddings,
/// adapter, base layers, norm, head); the unaligned stream is the base model (the
/// adapter skipped, not computed). Realigned logits are
/// `lambda · aligned + (1 − lambda) · unaligned`.
public final class InRaModel: Sendable {
    /// The layer the adapter occupies in the expanded stack.
    public static let adapterLayer = 0
    /// The first layer of the unaligned stream.
    public static let baseFirstLayer = 1

    /// The expanded stack; its full forward pass is the aligned stream.
    public let transformer: Transformer

    /// An expanded model whose layer 0 is the adapter (a directory `expand` wrote, or
    /// any model declared to have its adapter at layer 0).
    public init(expanded weights: ModelWeights, maxPositions: Int? = nil) {
        precondition(weights.layers.count >= 2, "an InRa model needs an adapter and at least one base layer")
        transformer = Transformer(weights: weights, maxPositions: maxPositions)
    }

    /// A base model and an adapter layer loaded on its own: the base weights are shared,
    /// not copied (arrays are copy-on-write), so the InRa model costs one layer more.
    public convenience init(base: ModelWeights, adapter: LayerWeights, maxPositions: Int? = nil) {
        var expanded = base
        expanded.layers.insert(adapter, at: Self.adapterLayer)
        expanded.config.layerCount += 1
        self.init(expanded: expanded, maxPositions: maxPositions)
    }

    public var config: ModelConfig { transformer.config }
    public var baseLayerCount: Int { config.layerCount - 1 }

    /// Full-recompute realigned logits of the requested rows of each sequence (see
    /// `Transformer.logits`). `lambda` 0 runs only the unaligned stream and 1 only the
    /// aligned one, so those are exactly the base and the expanded model.
    public func logits(sequences: [[Int32]], rows: [Range<Int>], lambda: Float) -> [Matrix] {
        if lambda == 0 { return transformer.logits(sequences: sequences, rows: rows, firstLayer: Self.baseFirstLayer) }
        let aligned = transformer.logits(sequences: sequences, rows: rows)
        if lambda == 1 { return aligned }
        let unaligned = transformer.logits(sequences: sequences, rows: rows, firstLayer: Self.baseFirstLayer)
        return zip(aligned, unaligned).map { a, u in
            Matrix(rows: a.rows, cols: a.cols, values: LogitInterpolation.mix(a.values, lambda, u.values))
        }
    }
}

/// `lambda · aligned + (1 − lambda) · other`, the realignment of raw logits.
public enum LogitInterpolation {
    public static func mix(_ aligned: [Float], _ lambda: Float, _ other: [Float]) -> [Float] {
        precondition(aligned.count == other.count, "mixing \(aligned.count) logits with \(other.count)")
        let complement = 1 - lambda
        var result = [Float](repeating: 0, count: aligned.count)
        for i in result.indices { result[i] = lambda * aligned[i] + complement * other[i] }
        return result
    }
}
