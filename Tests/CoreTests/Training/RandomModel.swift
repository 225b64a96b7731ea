@testable import Core

/// A small random decoder for whole-model checks: matrices, embeddings and biases
/// uniform in ±0.5 (±0.2 for biases), norm weights uniform in 1 ± 0.2.
enum RandomModel {
    static func make(family: ModelFamily, tied: Bool, layers: Int = 2, seed: UInt64) -> ModelWeights {
        let config = ModelConfig(
            family: family, vocabSize: 32, hiddenSize: 16, intermediateSize: 24, layerCount: layers,
            headCount: 4, kvHeadCount: 2, headDim: 4, ropeTheta: 10000, rmsNormEps: 1e-5,
            contextLength: 64, tieWordEmbeddings: tied)
        var generator = SplitMix64(seed: seed)
        func matrix(_ rows: Int, _ cols: Int) -> Matrix {
            Matrix(rows: rows, cols: cols, values: GradientCheck.random(rows * cols, &generator, in: -0.5...0.5))
        }
        func vector(_ count: Int, around center: Float = 0) -> [Float] {
            GradientCheck.random(count, &generator, in: (center - 0.2)...(center + 0.2))
        }
        let hidden = config.hiddenSize, inner = config.intermediateSize
        let queryWidth = config.headCount * config.headDim, keyWidth = config.kvHeadCount * config.headDim
        let biased = family == .qwen2
        let layerWeights = (0..<layers).map { _ in
            LayerWeights(
                inputNorm: vector(hidden, around: 1), qProj: matrix(queryWidth, hidden), kProj: matrix(keyWidth, hidden),
                vProj: matrix(keyWidth, hidden), oProj: matrix(hidden, queryWidth),
                qBias: biased ? vector(queryWidth) : nil, kBias: biased ? vector(keyWidth) : nil,
                vBias: biased ? vector(keyWidth) : nil, postAttentionNorm: vector(hidden, around: 1),
                gateProj: matrix(inner, hidden), upProj: matrix(inner, hidden), downProj: matrix(hidden, inner))
        }
        let embedding = matrix(config.vocabSize, hidden)
        return ModelWeights(config: config, embedding: embedding, layers: layerWeights,
                            finalNorm: vector(hidden, around: 1), outputHead: tied ? embedding : matrix(config.vocabSize, hidden))
    }
}
