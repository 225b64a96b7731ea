/// New tokens for one sequence, continuing what its cache holds.
public struct DecodeInput {
    public var cache: KVCache
    public var tokens: [Int32]

    public init(cache: KVCache, tokens: [Int32]) {
        self.cache = cache
        self.tokens = tokens
    }
}

extension Transformer {
    /// A cache for one sequence on this model; `firstLayer` 1 for a stream that skips
    /// layer 0.
    public func makeCache(firstLayer: Int = 0) -> KVCache {
        KVCache(config: config, firstLayer: firstLayer)
    }

    /// Feeds each input's tokens after what its cache holds (a prompt to prefill, or
    /// the one token sampled last) and returns, per input, the next-token logits after
    /// its last token (`vocab` floats). All inputs go through the layers together, so
    /// each projection is one matrix product over the batch; inputs whose caches skip
    /// layers join the batch at their first layer. Every cache grows by its tokens.
    /// On quantised weights an input's logits do not depend on the other inputs (sgemm
    /// on float32 weights gives no such promise): one-token steps go through the
    /// batch-invariant kernels together, and each prompt on its own through sgemm on
    /// dequantised weights (at a prompt's length the kernel is ten times slower), so
    /// what a prompt computes depends on it alone.
    public func decode(_ inputs: [DecodeInput]) -> [[Float]] {
        guard !inputs.isEmpty else { return [] }
        for input in inputs {
            precondition(!input.tokens.isEmpty, "a decode input needs at least one token")
            precondition(input.cache.layerCount == config.layerCount, "cache of \(input.cache.layerCount) layers on a model of \(config.layerCount)")
            precondition(input.cache.length + input.tokens.count <= rotary.positions,
                         "position \(input.cache.length + input.tokens.count) beyond the \(rotary.positions) the model supports")
            precondition(inputs.filter({ $0.cache === input.cache }).count == 1, "one cache given twice in a decode batch")
        }
        guard weights.hasQuantizedLayers else { return decodeTogether(inputs, batchInvariant: false) }
        let prompts = inputs.indices.filter { inputs[$0].tokens.count > 1 }
        let steps = inputs.indices.filter { inputs[$0].tokens.count == 1 }
        var result = [[Float]](repeating: [], count: inputs.count)
        for index in prompts { result[index] = decodeTogether([inputs[index]], batchInvariant: false)[0] }
        if !steps.isEmpty {
            for (index, logits) in zip(steps, decodeTogether(steps.map { inputs[$0] }, batchInvariant: true)) { result[index] = logits }
        }
        return result
    }

    /// `decode` of every input in one batch; `batchInvariant` as `residualStream` has it.
    private func decodeTogether(_ inputs: [DecodeInput], batchInvariant: Bool) -> [[Float]] {
        // Streams that start later go last, so each layer runs over a prefix of the batch.
        let order = inputs.indices.sorted { (inputs[$0].cache.firstLayer, $0) < (inputs[$1].cache.firstLayer, $1) }
        let ordered = order.map { inputs[$0] }
        let batch = TokenBatch(sequences: ordered.map(\.tokens), startPositions: ordered.map(\.cache.length))
        for input in ordered { input.cache.reserve(additional: input.tokens.count) }
        let stream = residualStream(
            batch: batch, firstLayers: ordered.map(\.cache.firstLayer),
            memory: CachedAttentionMemory(caches: ordered.map(\.cache)), batchInvariant: batchInvariant)
        for input in ordered { input.cache.commit(rows: input.tokens.count) }

        let width = config.hiddenSize
        let lastRows = ScratchBuffer(count: ordered.count * width)
        for s in ordered.indices {
            let last = batch.offsets[s + 1] - 1
            (lastRows.pointer + s * width).update(from: stream.pointer + last * width, count: width)
        }
        let normed = ScratchBuffer(count: ordered.count * width)
        finalNorm(lastRows.pointer, rows: ordered.count, into: normed.pointer)
        let logits = outputHead(normed.pointer, rows: ordered.count, batchInvariant: batchInvariant)
        let vocab = weights.outputHead.rows
        var result = [[Float]](repeating: [], count: inputs.count)
        for (position, original) in order.enumerated() {
            result[original] = Array(logits[position * vocab..<(position + 1) * vocab])
        }
        return result
    }
}
