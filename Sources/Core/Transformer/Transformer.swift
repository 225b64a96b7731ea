/// The decoder forward pass of the Llama and Qwen2 families. Here with teacher forcing,
/// the whole of each sequence at once and no cache; `decode` (Generation) continues
/// sequences from a KV cache through the same layer stack. For ids `x`: `h = embed[x]`; per layer
/// `h += o_proj(attention(rope(q), rope(k), v))` on `input_layernorm(h)`, then
/// `h += down(silu(gate(m)) · up(m))` on `m = post_attention_layernorm(h)`; finally
/// `norm(h)` and the output head. Several sequences are stacked so that every
/// projection is one matrix product over all their tokens.
public final class Transformer: Sendable {
    public let weights: ModelWeights
    let rotary: RotaryEmbedding

    /// `maxPositions` bounds the RoPE table (and so the sequence length); by default
    /// the model's context length.
    public init(weights: ModelWeights, maxPositions: Int? = nil) {
        let config = weights.config
        precondition(config.headCount % config.kvHeadCount == 0,
                     "\(config.headCount) query heads do not split over \(config.kvHeadCount) key/value heads")
        self.weights = weights
        self.rotary = RotaryEmbedding(
            headDim: config.headDim, theta: config.ropeTheta,
            positions: maxPositions ?? config.contextLength)
    }

    public var config: ModelConfig { weights.config }

    /// The final-norm output (the output head's input), `[length, hidden]` per sequence.
    public func hiddenStates(sequences: [[Int32]]) -> [Matrix] {
        let batch = TokenBatch(sequences: sequences)
        let hidden = run(batch: batch, observer: nil)
        let width = config.hiddenSize
        return (0..<batch.sequenceCount).map { s in
            let rows = batch.rows(ofSequence: s)
            return Matrix(rows: rows.count, cols: width,
                          values: Array(hidden[rows.lowerBound * width..<rows.upperBound * width]))
        }
    }

    /// Logits of the requested rows of each sequence, `[rows[s].count, vocab]` for
    /// sequence `s`: row `j` of the result is position `rows[s].lowerBound + j`, the
    /// next-token logits after reading tokens `0...that position`. The output head runs
    /// only over the requested rows, in one matrix product for the whole batch.
    /// `firstLayer` 1 skips decoder layer 0 (the unaligned stream of an InRa model).
    public func logits(sequences: [[Int32]], rows: [Range<Int>], firstLayer: Int = 0) -> [Matrix] {
        let selected = headInputs(sequences: sequences, rows: rows, firstLayer: firstLayer)
        let vocab = weights.outputHead.rows
        let logits = selected.rows == 0 ? [] : selected.values.withUnsafeBufferPointer { outputHead($0.baseAddress!, rows: selected.rows) }
        var start = 0
        return rows.map { range in
            defer { start += range.count }
            return Matrix(rows: range.count, cols: vocab,
                          values: Array(logits[start * vocab..<(start + range.count) * vocab]))
        }
    }

    /// The output head's input at the requested rows of each sequence (see `logits`):
    /// the final-norm states, stacked in order, `[Σ rows[s].count, hidden]`.
    public func headInputs(sequences: [[Int32]], rows: [Range<Int>], firstLayer: Int = 0) -> Matrix {
        precondition(rows.count == sequences.count, "\(rows.count) row ranges for \(sequences.count) sequences")
        for (s, range) in rows.enumerated() {
            precondition(range.lowerBound >= 0 && range.upperBound <= sequences[s].count,
                         "rows \(range) outside sequence \(s) of length \(sequences[s].count)")
        }
        let batch = TokenBatch(sequences: sequences)
        let hidden = run(batch: batch, firstLayer: firstLayer, observer: nil)
        let width = config.hiddenSize
        let total = rows.reduce(0) { $0 + $1.count }
        var selected = [Float]()
        selected.reserveCapacity(total * width)
        for (s, range) in rows.enumerated() {
            let first = batch.offsets[s] + range.lowerBound
            selected += hidden[first * width..<(first + range.count) * width]
        }
        return Matrix(rows: total, cols: width, values: selected)
    }

    /// The logits of the vocabulary entries `columns` alone for `rows` head inputs
    /// (`headInputs` rows): `[rows, columns.count]` into `logits`. Quantised weights go
    /// as `Linear.apply(_:rows:weight:outputs:into:)` routes them: int8 on AVX-512 VNNI
    /// CPUs, else the exact weight values.
    public func headLogits(_ inputs: UnsafePointer<Float>, rows: Int, columns: Range<Int>, into logits: UnsafeMutablePointer<Float>) {
        Linear.apply(inputs, rows: rows, weight: weights.outputHead, outputs: columns, into: logits)
    }

    /// The residual stream of one sequence: the embedding output, then the stream after
    /// each decoder layer (before the final norm): `layerCount + 1` matrices of
    /// `[length, hidden]`. For checking a forward pass layer by layer.
    func residualStreams(sequence: [Int32]) -> [Matrix] {
        let batch = TokenBatch(sequences: [sequence])
        var streams: [Matrix] = []
        _ = run(batch: batch) { stream in
            streams.append(Matrix(rows: sequence.count, cols: self.config.hiddenSize, values: Array(stream)))
        }
        return streams
    }

    /// Runs the stack over whole sequences and returns the final-norm output
    /// `[rows, hidden]`. `observer` sees the residual stream after the embedding and
    /// after every layer.
    private func run(batch: TokenBatch, firstLayer: Int = 0, observer: ((UnsafeBufferPointer<Float>) -> Void)?) -> [Float] {
        let stream = residualStream(
            batch: batch, firstLayers: Array(repeating: firstLayer, count: batch.sequenceCount),
            memory: TransientAttentionMemory(), observer: observer)
        let normed = ScratchBuffer(count: stream.count)
        finalNorm(stream.pointer, rows: batch.rowCount, into: normed.pointer)
        return Array(normed.buffer)
    }

    /// Embeds the batch and runs it through the decoder layers: sequence `s` through
    /// layers `firstLayers[s] ..< layerCount` (a layer adapter at 0 is skipped by
    /// starting at 1). `firstLayers` must not decrease, so the sequences a layer runs
    /// over are a prefix of the batch and each projection stays one matrix product.
    /// Returns the residual stream after the last layer, `[rows, hidden]`.
    /// `batchInvariant`: every row's result independent of the other rows (decoding).
    func residualStream<Memory: AttentionMemory>(
        batch: TokenBatch, firstLayers: [Int], memory: Memory, batchInvariant: Bool = false,
        observer: ((UnsafeBufferPointer<Float>) -> Void)? = nil
    ) -> ScratchBuffer {
        precondition(firstLayers.count == batch.sequenceCount, "\(firstLayers.count) first layers for \(batch.sequenceCount) sequences")
        precondition(zip(firstLayers, firstLayers.dropFirst()).allSatisfy { $0 <= $1 }, "first layers \(firstLayers) decrease")
        let config = self.config
        let allRows = batch.rowCount
        let width = config.hiddenSize
        let queryWidth = config.headCount * config.headDim
        let keyWidth = config.kvHeadCount * config.headDim
        let inner = config.intermediateSize
        let forward = DecoderLayerForward(config: config, rotary: rotary, batchInvariant: batchInvariant)

        let stream = ScratchBuffer(count: allRows * width)
        let normed = ScratchBuffer(count: allRows * width)
        let q = ScratchBuffer(count: allRows * queryWidth)
        let k = ScratchBuffer(count: allRows * keyWidth)
        let v = ScratchBuffer(count: allRows * keyWidth)
        let heads = ScratchBuffer(count: allRows * queryWidth)
        let mlpRows = max(1, min(allRows, Self.mlpRows))
        let gate = ScratchBuffer(count: mlpRows * inner)
        let up = ScratchBuffer(count: mlpRows * inner)
        let buffers = DecoderLayerBuffers(
            normedInput: normed.pointer, q: q.pointer, k: k.pointer, v: v.pointer, heads: heads.pointer,
            streamAfterAttention: nil, normedPost: normed.pointer, gate: gate.pointer, up: up.pointer,
            gated: gate.pointer, mlpRows: mlpRows, probabilities: nil)

        EmbeddingLookup.gather(batch.tokens, table: weights.embedding, into: stream.pointer)
        observer?(stream.buffer)
        for (index, layer) in weights.layers.enumerated() {
            let sequences = firstLayers.prefix { $0 <= index }.count
            guard batch.offsets[sequences] > 0 else { continue }
            forward.run(layer, index: index, stream: stream.pointer, batch: batch, sequences: sequences,
                        memory: memory, buffers: buffers)
            observer?(stream.buffer)
        }
        return stream
    }

    /// Rows of one step of the MLP (`DecoderLayerBuffers.mlpRows`): its products still
    /// run at full rate, and its intermediates take 3 MB instead of 13 at 1,024 rows.
    static let mlpRows = 256

    /// The final RMSNorm of `rows` rows of the residual stream.
    func finalNorm(_ stream: UnsafePointer<Float>, rows: Int, into normed: UnsafeMutablePointer<Float>) {
        ElementWise.rmsNorm(stream, rows: rows, width: config.hiddenSize, weight: weights.finalNorm,
                            eps: config.rmsNormEps, into: normed)
    }

    /// The output head over `rows` final-norm rows: `[rows, vocab]`.
    func outputHead(_ normed: UnsafePointer<Float>, rows: Int, batchInvariant: Bool = false) -> [Float] {
        var logits = [Float](repeating: 0, count: rows * weights.outputHead.rows)
        logits.withUnsafeMutableBufferPointer { y in
            Linear.apply(normed, rows: rows, weight: weights.outputHead, into: y.baseAddress!, batchInvariant: batchInvariant)
        }
        return logits
    }
}
