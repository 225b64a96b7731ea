@testable import Core

/// Finite-difference support for the gradient checks: central differences of a
/// Double-valued objective of float32 inputs, and the random data they run on.
enum GradientCheck {
    /// `(f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε` for every `i` in `indices` (all by default).
    static func numerical(_ x: [Float], epsilon: Float = 1e-2, indices: [Int]? = nil, _ f: ([Float]) -> Double) -> [Int: Double] {
        var result: [Int: Double] = [:]
        var probe = x
        for i in indices ?? Array(x.indices) {
            let original = probe[i]
            probe[i] = original + epsilon
            let plus = f(probe)
            probe[i] = original - epsilon
            let minus = f(probe)
            probe[i] = original
            result[i] = (plus - minus) / (2 * Double(epsilon))
        }
        return result
    }

    /// The largest `|analytic − numerical|` over the checked indices, relative to
    /// `max(1, largest |numerical|)`.
    static func relativeError(analytic: [Float], numerical: [Int: Double]) -> Double {
        let scale = max(1, numerical.values.map(abs).max() ?? 0)
        return numerical.map { abs(Double(analytic[$0.key]) - $0.value) }.max().map { $0 / scale } ?? 0
    }

    static func random(_ count: Int, _ generator: inout SplitMix64, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in generator.nextFloat(in: range) }
    }

    /// `Σ w ⊙ y` in Double: a scalar objective whose gradient with respect to `y` is `w`.
    static func weightedSum(_ y: [Float], _ w: [Float]) -> Double {
        zip(y, w).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Runs `body` on a pointer to a copy of `values` and returns the copy.
    static func withPointer(_ values: [Float], _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        var copy = values
        copy.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return copy
    }
}

/// A small random decoder for whole-model checks: N(0-ish, 0.3) matrices, norms near 1.
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
