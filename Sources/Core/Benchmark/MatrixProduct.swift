/// One kind of matrix product of a forward pass: `[m, k] · [k, n]`, run `count` times.
/// Causal attention products count half their FLOPs (only the scores at or below the
/// diagonal are needed), as the benchmark's FLOP/s figures are defined.
public struct MatrixProduct: Sendable, Equatable {
    public var name: String
    public var m: Int
    public var n: Int
    public var k: Int
    public var count: Int
    public var causal: Bool

    public init(_ name: String, m: Int, n: Int, k: Int, count: Int = 1, causal: Bool = false) {
        self.name = name
        self.m = m
        self.n = n
        self.k = k
        self.count = count
        self.causal = causal
    }

    /// `2·m·n·k` per product, halved when causal, times `count`.
    public var flops: Double {
        2 * Double(m) * Double(n) * Double(k) * Double(count) * (causal ? 0.5 : 1)
    }

    /// The FLOPs of all of `products`.
    public static func totalFlops(_ products: [MatrixProduct]) -> Double {
        products.reduce(0) { $0 + $1.flops }
    }

    /// The matrix products of a teacher-forcing forward pass over one sequence of
    /// `tokens` tokens with the output head over `headRows` rows: per layer the q, k, v
    /// and o projections, gate, up and down, and per head the causal scores `q·kᵀ` and
    /// the weighted values `p·v`.
    public static func teacherForward(config: ModelConfig, tokens: Int, headRows: Int) -> [MatrixProduct] {
        let hidden = config.hiddenSize
        let layers = config.layerCount
        let queryWidth = config.headCount * config.headDim
        let keyWidth = config.kvHeadCount * config.headDim
        let inner = config.intermediateSize
        return [
            MatrixProduct("q_proj", m: tokens, n: queryWidth, k: hidden, count: layers),
            MatrixProduct("k_proj", m: tokens, n: keyWidth, k: hidden, count: layers),
            MatrixProduct("v_proj", m: tokens, n: keyWidth, k: hidden, count: layers),
            MatrixProduct("o_proj", m: tokens, n: hidden, k: queryWidth, count: layers),
            MatrixProduct("gate_proj", m: tokens, n: inner, k: hidden, count: layers),
            MatrixProduct("up_proj", m: tokens, n: inner, k: hidden, count: layers),
            MatrixProduct("down_proj", m: tokens, n: hidden, k: inner, count: layers),
            MatrixProduct("attention_scores", m: tokens, n: tokens, k: config.headDim,
                          count: layers * config.headCount, causal: true),
            MatrixProduct("attention_values", m: tokens, n: config.headDim, k: tokens,
                          count: layers * config.headCount, causal: true),
            MatrixProduct("output_head", m: headRows, n: config.vocabSize, k: hidden),
        ]
    }
}
