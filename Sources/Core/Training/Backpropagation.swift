/// The training pass of the Llama / Qwen2 decoder: the forward pass of `Transformer`
/// (the same `DecoderLayerForward`, keeping every layer's activations), the output head
/// on the loss rows only, a loss on those logits, and the backward pass layer by layer
/// down to the lowest trainable parameter. Frozen parameters get no weight gradient;
/// activation gradients still flow through frozen layers above a trainable one.
public struct Backpropagation: Sendable {
    public let config: ModelConfig
    private let forward: DecoderLayerForward

    /// `maxPositions` bounds the RoPE table (and so the sequence length); by default
    /// the model's context length.
    public init(config: ModelConfig, maxPositions: Int? = nil) {
        precondition(config.headCount % config.kvHeadCount == 0,
                     "\(config.headCount) query heads do not split over \(config.kvHeadCount) key/value heads")
        self.config = config
        self.forward = DecoderLayerForward(
            config: config,
            rotary: RotaryEmbedding(headDim: config.headDim, theta: config.ropeTheta,
                                    positions: maxPositions ?? config.contextLength))
    }

    /// The loss of `weights` on `sequences` and its gradient for the `trainable`
    /// parameters. `rows[s]` are the logit positions of sequence `s` that enter the
    /// loss; `loss` receives their logits stacked in order (`[Σ rows[s].count, vocab]`)
    /// and returns the loss with its logit gradient.
    public func run(
        weights: ModelWeights, trainable: TrainableParameters, sequences: [[Int32]], rows: [Range<Int>],
        loss: (Matrix) -> LogitLoss
    ) -> (loss: LogitLoss, gradients: ModelGradients) {
        precondition(weights.config == config, "weights of a different model than this pass was built for")
        precondition(rows.count == sequences.count, "\(rows.count) row ranges for \(sequences.count) sequences")
        for (s, range) in rows.enumerated() {
            precondition(range.lowerBound >= 0 && range.upperBound <= sequences[s].count,
                         "rows \(range) outside sequence \(s) of length \(sequences[s].count)")
        }
        let batch = TokenBatch(sequences: sequences)
        let rowCount = batch.rowCount
        let width = config.hiddenSize
        let vocab = weights.outputHead.rows
        let tied = config.tieWordEmbeddings

        // Forward, keeping what the backward pass reads.
        let probabilityCount = forward.attention.probabilityCount(batch: batch)
        let stream = ScratchBuffer(count: rowCount * width)
        EmbeddingLookup.gather(batch.tokens, table: weights.embedding, into: stream.pointer)
        var activations: [LayerActivations] = []
        for layer in weights.layers {
            let kept = LayerActivations(config: config, rows: rowCount, probabilityCount: probabilityCount)
            kept.streamIn.pointer.update(from: stream.pointer, count: rowCount * width)
            forward.run(layer, stream: stream.pointer, batch: batch, buffers: kept.buffers)
            activations.append(kept)
        }
        let finalNormed = ScratchBuffer(count: rowCount * width)
        ElementWise.rmsNorm(stream.pointer, rows: rowCount, width: width, weight: weights.finalNorm,
                            eps: config.rmsNormEps, into: finalNormed.pointer)
        let lossRows = rows.enumerated().flatMap { s, range in range.map { batch.offsets[s] + $0 } }
        let selected = ScratchBuffer(count: lossRows.count * width)
        for (j, row) in lossRows.enumerated() {
            (selected.pointer + j * width).update(from: finalNormed.pointer + row * width, count: width)
        }
        var logits = Matrix(zeros: lossRows.count, vocab)
        logits.values.withUnsafeMutableBufferPointer {
            Linear.apply(selected.pointer, rows: lossRows.count, weight: weights.outputHead, into: $0.baseAddress!)
        }
        let result = loss(logits)
        precondition(result.logitGradient.rows == lossRows.count && result.logitGradient.cols == vocab,
                     "logit gradient \(result.logitGradient.rows)x\(result.logitGradient.cols) for \(lossRows.count)x\(vocab) logits")

        // Output head and final norm.
        var gradients = ModelGradients(zerosFor: weights, trainable: trainable)
        let dSelected = ScratchBuffer(count: lossRows.count * width)
        result.logitGradient.values.withUnsafeBufferPointer { dLogits in
            let dy = dLogits.baseAddress!
            LinearBackward.inputGradient(dy, rows: lossRows.count, weight: weights.outputHead.matrix,
                                         into: dSelected.pointer, accumulate: false)
            if tied, gradients.embedding != nil {
                LinearBackward.accumulateWeightGradient(dy, x: selected.pointer, rows: lossRows.count, into: &gradients.embedding!)
            } else if gradients.outputHead != nil {
                LinearBackward.accumulateWeightGradient(dy, x: selected.pointer, rows: lossRows.count, into: &gradients.outputHead!)
            }
        }
        let dFinalNormed = ScratchBuffer(count: rowCount * width)
        for (j, row) in lossRows.enumerated() {
            (dFinalNormed.pointer + row * width).update(from: dSelected.pointer + j * width, count: width)
        }
        let dStream = ScratchBuffer(count: rowCount * width)
        RMSNormBackward.run(x: stream.pointer, dy: dFinalNormed.pointer, rows: rowCount, width: width,
                            weight: weights.finalNorm, eps: config.rmsNormEps,
                            accumulatingInto: dStream.pointer, weightGradient: &gradients.finalNorm)

        // Decoder layers, top down, as far as a trainable parameter lies below.
        let lowest = trainable.embedding ? 0 : (trainable.layers.filter { $0 < weights.layers.count }.min() ?? weights.layers.count)
        let scratch = BackwardScratch(config: config, rows: rowCount)
        for index in stride(from: weights.layers.count - 1, through: lowest, by: -1) {
            var layerGradient = gradients.layers[index]
            gradients.layers[index] = nil
            backward(layer: weights.layers[index], activations: activations[index], batch: batch,
                     dStream: dStream.pointer, scratch: scratch, gradient: &layerGradient)
            gradients.layers[index] = layerGradient
        }
        if gradients.embedding != nil {
            EmbeddingLookup.scatterAdd(batch.tokens, rowGradients: dStream.pointer, into: &gradients.embedding!)
        }
        return (result, gradients)
    }

    /// One layer's backward pass: turns `dStream` (the gradient of the layer's output
    /// stream) into the gradient of its input stream, in place, and adds the weight
    /// gradients into `gradient` when the layer trains.
    private func backward(
        layer: LayerWeights, activations a: LayerActivations, batch: TokenBatch,
        dStream: UnsafeMutablePointer<Float>, scratch: BackwardScratch, gradient: inout LayerGradients?
    ) {
        let rows = batch.rowCount
        let width = config.hiddenSize
        let inner = config.intermediateSize
        let trains = gradient != nil

        // MLP block: out = h₁ + down(silu(gate(m)) · up(m)), m = post_attention_layernorm(h₁).
        LinearBackward.inputGradient(dStream, rows: rows, weight: layer.downProj.matrix, into: scratch.dGated.pointer, accumulate: false)
        SwiGLUBackward.run(gate: a.gate.pointer, up: a.up.pointer, outputGradient: scratch.dGated.pointer,
                           rows: rows, width: inner, gateGradient: scratch.dGate.pointer, upGradient: scratch.dUp.pointer)
        LinearBackward.inputGradient(scratch.dGate.pointer, rows: rows, weight: layer.gateProj.matrix, into: scratch.dNormed.pointer, accumulate: false)
        LinearBackward.inputGradient(scratch.dUp.pointer, rows: rows, weight: layer.upProj.matrix, into: scratch.dNormed.pointer, accumulate: true)
        if trains {
            LinearBackward.accumulateWeightGradient(dStream, x: a.gated.pointer, rows: rows, into: &gradient!.downProj)
            LinearBackward.accumulateWeightGradient(scratch.dGate.pointer, x: a.normedPost.pointer, rows: rows, into: &gradient!.gateProj)
            LinearBackward.accumulateWeightGradient(scratch.dUp.pointer, x: a.normedPost.pointer, rows: rows, into: &gradient!.upProj)
        }
        var postNormGradient = gradient?.postAttentionNorm
        RMSNormBackward.run(x: a.streamAfterAttention.pointer, dy: scratch.dNormed.pointer, rows: rows, width: width,
                            weight: layer.postAttentionNorm, eps: config.rmsNormEps,
                            accumulatingInto: dStream, weightGradient: &postNormGradient)

        // Attention block: h₁ = h₀ + o_proj(attention(rope(q), rope(k), v)) on a = input_layernorm(h₀).
        LinearBackward.inputGradient(dStream, rows: rows, weight: layer.oProj.matrix, into: scratch.dHeads.pointer, accumulate: false)
        AttentionBackward(attention: forward.attention)
            .run(batch: batch, q: a.q.pointer, k: a.k.pointer, v: a.v.pointer, probabilities: a.probabilities.pointer,
                 outputGradient: scratch.dHeads.pointer, dq: scratch.dq.pointer, dk: scratch.dk.pointer, dv: scratch.dv.pointer)
        forward.rotary.apply(scratch.dq.pointer, rows: rows, heads: config.headCount, positionOfRow: batch.positionOfRow, inverse: true)
        forward.rotary.apply(scratch.dk.pointer, rows: rows, heads: config.kvHeadCount, positionOfRow: batch.positionOfRow, inverse: true)
        LinearBackward.inputGradient(scratch.dq.pointer, rows: rows, weight: layer.qProj.matrix, into: scratch.dNormed.pointer, accumulate: false)
        LinearBackward.inputGradient(scratch.dk.pointer, rows: rows, weight: layer.kProj.matrix, into: scratch.dNormed.pointer, accumulate: true)
        LinearBackward.inputGradient(scratch.dv.pointer, rows: rows, weight: layer.vProj.matrix, into: scratch.dNormed.pointer, accumulate: true)
        if trains {
            LinearBackward.accumulateWeightGradient(dStream, x: a.heads.pointer, rows: rows, into: &gradient!.oProj)
            LinearBackward.accumulateWeightGradient(scratch.dq.pointer, x: a.normedInput.pointer, rows: rows, into: &gradient!.qProj)
            LinearBackward.accumulateWeightGradient(scratch.dk.pointer, x: a.normedInput.pointer, rows: rows, into: &gradient!.kProj)
            LinearBackward.accumulateWeightGradient(scratch.dv.pointer, x: a.normedInput.pointer, rows: rows, into: &gradient!.vProj)
            if gradient!.qBias != nil { LinearBackward.accumulateBiasGradient(scratch.dq.pointer, rows: rows, into: &gradient!.qBias!) }
            if gradient!.kBias != nil { LinearBackward.accumulateBiasGradient(scratch.dk.pointer, rows: rows, into: &gradient!.kBias!) }
            if gradient!.vBias != nil { LinearBackward.accumulateBiasGradient(scratch.dv.pointer, rows: rows, into: &gradient!.vBias!) }
        }
        var inputNormGradient = gradient?.inputNorm
        RMSNormBackward.run(x: a.streamIn.pointer, dy: scratch.dNormed.pointer, rows: rows, width: width,
                            weight: layer.inputNorm, eps: config.rmsNormEps,
                            accumulatingInto: dStream, weightGradient: &inputNormGradient)
        if trains {
            gradient!.postAttentionNorm = postNormGradient!
            gradient!.inputNorm = inputNormGradient!
        }
    }
}

/// The gradient buffers one layer's backward pass needs, shared by every layer.
private final class BackwardScratch {
    let dNormed: ScratchBuffer
    let dHeads: ScratchBuffer
    let dq: ScratchBuffer
    let dk: ScratchBuffer
    let dv: ScratchBuffer
    let dGated: ScratchBuffer
    let dGate: ScratchBuffer
    let dUp: ScratchBuffer

    init(config: ModelConfig, rows: Int) {
        let queryWidth = config.headCount * config.headDim
        let keyWidth = config.kvHeadCount * config.headDim
        dNormed = ScratchBuffer(count: rows * config.hiddenSize)
        dHeads = ScratchBuffer(count: rows * queryWidth)
        dq = ScratchBuffer(count: rows * queryWidth)
        dk = ScratchBuffer(count: rows * keyWidth)
        dv = ScratchBuffer(count: rows * keyWidth)
        dGated = ScratchBuffer(count: rows * config.intermediateSize)
        dGate = ScratchBuffer(count: rows * config.intermediateSize)
        dUp = ScratchBuffer(count: rows * config.intermediateSize)
    }
}
