/// What the training forward pass keeps of one decoder layer for the backward pass:
/// the residual stream entering the layer and after its attention block, and every
/// intermediate of `DecoderLayerBuffers`, attention probabilities included.
final class LayerActivations {
    let rows: Int
    let streamIn: ScratchBuffer
    let normedInput: ScratchBuffer
    let q: ScratchBuffer
    let k: ScratchBuffer
    let v: ScratchBuffer
    let heads: ScratchBuffer
    let streamAfterAttention: ScratchBuffer
    let normedPost: ScratchBuffer
    let gate: ScratchBuffer
    let up: ScratchBuffer
    let gated: ScratchBuffer
    let probabilities: ScratchBuffer

    init(config: ModelConfig, rows: Int, probabilityCount: Int) {
        let width = config.hiddenSize
        let queryWidth = config.headCount * config.headDim
        let keyWidth = config.kvHeadCount * config.headDim
        let inner = config.intermediateSize
        self.rows = rows
        streamIn = ScratchBuffer(count: rows * width)
        normedInput = ScratchBuffer(count: rows * width)
        q = ScratchBuffer(count: rows * queryWidth)
        k = ScratchBuffer(count: rows * keyWidth)
        v = ScratchBuffer(count: rows * keyWidth)
        heads = ScratchBuffer(count: rows * queryWidth)
        streamAfterAttention = ScratchBuffer(count: rows * width)
        normedPost = ScratchBuffer(count: rows * width)
        gate = ScratchBuffer(count: rows * inner)
        up = ScratchBuffer(count: rows * inner)
        gated = ScratchBuffer(count: rows * inner)
        probabilities = ScratchBuffer(count: probabilityCount)
    }

    var buffers: DecoderLayerBuffers {
        DecoderLayerBuffers(
            normedInput: normedInput.pointer, q: q.pointer, k: k.pointer, v: v.pointer, heads: heads.pointer,
            streamAfterAttention: streamAfterAttention.pointer, normedPost: normedPost.pointer,
            gate: gate.pointer, up: up.pointer, gated: gated.pointer, mlpRows: max(rows, 1), probabilities: probabilities.pointer)
    }
}
