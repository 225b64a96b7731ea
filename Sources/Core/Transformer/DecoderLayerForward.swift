/// Where one decoder layer's forward pass leaves its intermediate values. Inference
/// points every layer at one shared set (the two norm outputs share a buffer, `gated`
/// is `gate`, nothing optional is kept); training gives each layer its own set and
/// asks for the optional values, which its backward pass reads.
struct DecoderLayerBuffers {
    /// `input_layernorm(h)`, `[rows, hidden]`.
    let normedInput: UnsafeMutablePointer<Float>
    /// Projections, q and k after RoPE: `[rows, heads·headDim]`, `[rows, kvHeads·headDim]` twice.
    let q: UnsafeMutablePointer<Float>
    let k: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    /// The concatenated head outputs (the o_proj input), `[rows, heads·headDim]`.
    let heads: UnsafeMutablePointer<Float>
    /// A copy of the residual stream after the attention block, when wanted.
    let streamAfterAttention: UnsafeMutablePointer<Float>?
    /// `post_attention_layernorm(h)`, `[rows, hidden]`.
    let normedPost: UnsafeMutablePointer<Float>
    /// gate_proj and up_proj outputs and `silu(gate) · up`, `[mlpRows, intermediate]`
    /// each: the MLP runs `mlpRows` rows at a time, its intermediates the largest
    /// activations of a pass (2.7 times the hidden width). Training keeps them all.
    let gate: UnsafeMutablePointer<Float>
    let up: UnsafeMutablePointer<Float>
    let gated: UnsafeMutablePointer<Float>
    let mlpRows: Int
    /// The attention probabilities (layout of `CausalAttention.probabilityOffset`), when wanted.
    let probabilities: UnsafeMutablePointer<Float>?
}

/// One pre-norm decoder layer on the residual stream of a batch:
/// `h += o_proj(attention(rope(q), rope(k), v))` on `input_layernorm(h)`, then
/// `h += down(silu(gate(m)) · up(m))` on `m = post_attention_layernorm(h)`. Shared by
/// the inference forward pass and the training forward pass.
struct DecoderLayerForward {
    let config: ModelConfig
    let rotary: RotaryEmbedding
    let attention: CausalAttention
    /// Whether every product must be batch-invariant (see `Linear.apply`): decoding.
    let batchInvariant: Bool

    init(config: ModelConfig, rotary: RotaryEmbedding, batchInvariant: Bool = false) {
        self.config = config
        self.rotary = rotary
        self.batchInvariant = batchInvariant
        self.attention = CausalAttention(heads: config.headCount, kvHeads: config.kvHeadCount, headDim: config.headDim)
    }

    /// Runs the layer over the first `sequences` sequences of the batch (all by default;
    /// fewer when later sequences start at a later layer). `memory` decides where the
    /// new keys and values live: only in `buffers` for whole sequences, or in a KV cache.
    func run(_ layer: LayerWeights, index: Int = 0, stream: UnsafeMutablePointer<Float>, batch: TokenBatch,
             sequences: Int? = nil, memory: any AttentionMemory = TransientAttentionMemory(), buffers: DecoderLayerBuffers) {
        let sequences = sequences ?? batch.sequenceCount
        let rows = batch.offsets[sequences]
        let width = config.hiddenSize
        let keyWidth = config.kvHeadCount * config.headDim
        ElementWise.rmsNorm(stream, rows: rows, width: width, weight: layer.inputNorm,
                            eps: config.rmsNormEps, into: buffers.normedInput)
        Linear.apply(buffers.normedInput, rows: rows, weight: layer.qProj, bias: layer.qBias, into: buffers.q, batchInvariant: batchInvariant)
        Linear.apply(buffers.normedInput, rows: rows, weight: layer.kProj, bias: layer.kBias, into: buffers.k, batchInvariant: batchInvariant)
        Linear.apply(buffers.normedInput, rows: rows, weight: layer.vProj, bias: layer.vBias, into: buffers.v, batchInvariant: batchInvariant)
        rotary.apply(buffers.q, rows: rows, heads: config.headCount, positionOfRow: batch.positionOfRow)
        rotary.apply(buffers.k, rows: rows, heads: config.kvHeadCount, positionOfRow: batch.positionOfRow)
        let spans = (0..<sequences).map { s in
            let first = batch.offsets[s]
            return memory.store(layer: index, sequence: s, keys: buffers.k + first * keyWidth,
                                values: buffers.v + first * keyWidth, rows: batch.rows(ofSequence: s).count, width: keyWidth)
        }
        attention.run(batch: batch, spans: spans, q: buffers.q, output: buffers.heads, probabilities: buffers.probabilities)
        Linear.apply(buffers.heads, rows: rows, weight: layer.oProj, into: stream, accumulate: true, batchInvariant: batchInvariant)
        buffers.streamAfterAttention?.update(from: stream, count: rows * width)

        ElementWise.rmsNorm(stream, rows: rows, width: width, weight: layer.postAttentionNorm,
                            eps: config.rmsNormEps, into: buffers.normedPost)
        for first in stride(from: 0, to: rows, by: buffers.mlpRows) {
            let count = min(buffers.mlpRows, rows - first)
            let normed = buffers.normedPost + first * width
            Linear.apply(normed, rows: count, weight: layer.gateProj, into: buffers.gate, batchInvariant: batchInvariant)
            Linear.apply(normed, rows: count, weight: layer.upProj, into: buffers.up, batchInvariant: batchInvariant)
            ElementWise.siluGate(buffers.gate, up: buffers.up, rows: count, width: config.intermediateSize, into: buffers.gated)
            Linear.apply(buffers.gated, rows: count, weight: layer.downProj, into: stream + first * width, accumulate: true,
                         batchInvariant: batchInvariant)
        }
    }
}
