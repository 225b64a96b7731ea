/// Generates many sequences together, one token per sequence per `step`, with
/// continuous batching: `add` a request between steps (its prompt is prefilled in the
/// next step, alongside the others' single tokens), finished sequences leave by
/// themselves, and `cancel` removes one. Every stream of every sequence goes through
/// one decode pass per transformer, so each projection is one matrix product over the
/// whole batch. Each sequence keeps its own caches, lambda and sampler, so a sequence
/// generates the same tokens whatever else is in the batch.
///
/// A session is used from one thread at a time (it owns its caches).
public final class DecodeSession {
    public let model: DecodingModel
    /// For text and stop strings; without one, updates carry ids only.
    public let tokenizer: Tokenizer?
    private var sequences: [ActiveSequence] = []

    public init(model: DecodingModel, tokenizer: Tokenizer? = nil) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Ids of the sequences in the session, in the order they were added.
    public var activeIds: [String] { sequences.map(\.request.id) }
    public var isEmpty: Bool { sequences.isEmpty }

    /// Adds a sequence; it produces its first token at the next `step`.
    public func add(_ request: GenerationRequest) throws(GenerationError) {
        func fail(_ problem: String) -> GenerationError { GenerationError(id: request.id, problem: problem) }
        guard !sequences.contains(where: { $0.request.id == request.id }) else { throw fail("a sequence with this id is already generating") }
        if let problem = request.sampling.problem { throw fail(problem) }
        guard request.lambda.isFinite else { throw fail("lambda \(request.lambda) is not a finite number") }
        if let maxTokens = request.maxTokens, maxTokens < 1 { throw fail("max tokens \(maxTokens) must be at least 1") }
        if !request.stopStrings.isEmpty, tokenizer == nil { throw fail("stop strings need a tokenizer") }
        if request.alignedPromptIds != nil, model.transformers.count == 1 {
            throw fail("an aligned prompt applies to DeRa generation only")
        }
        let vocab = model.vocabularySize
        for prompt in [request.promptIds, request.alignedPromptIds ?? request.promptIds] {
            guard !prompt.isEmpty else { throw fail("the prompt is empty") }
            guard prompt.count < model.maxPositions else {
                throw fail("the prompt has \(prompt.count) tokens; the model holds \(model.maxPositions) positions")
            }
            if let bad = prompt.first(where: { $0 < 0 || Int($0) >= vocab }) {
                throw fail("prompt token id \(bad) is outside the vocabulary of \(vocab)")
            }
        }
        let transformers = model.transformers
        let streams = model.streams(lambda: request.lambda).map { stream in
            SequenceStream(
                transformer: stream.transformer, cache: transformers[stream.transformer].makeCache(firstLayer: stream.firstLayer),
                weight: stream.weight,
                pending: stream.alignedPrompt ? request.alignedPromptIds ?? request.promptIds : request.promptIds)
        }
        let text = tokenizer.map {
            StreamingText(tokenizer: $0, stopStrings: request.stopStrings, skipSpecialTokens: request.skipSpecialTokens)
        }
        sequences.append(ActiveSequence(request: request, streams: streams, sampler: Sampler(request.sampling), text: text))
    }

    /// Removes a sequence wherever it is; false if it is not in the session.
    @discardableResult
    public func cancel(id: String) -> Bool {
        guard let index = sequences.firstIndex(where: { $0.request.id == id }) else { return false }
        sequences.remove(at: index)
        return true
    }

    /// One token for every sequence in the session; sequences that finish are removed.
    public func step() -> [GenerationUpdate] {
        guard !sequences.isEmpty else { return [] }
        var logitsOfStream: [ObjectIdentifier: [Float]] = [:]
        for (index, transformer) in model.transformers.enumerated() {
            let streams = sequences.flatMap { $0.streams.filter { $0.transformer == index } }
            guard !streams.isEmpty else { continue }
            let logits = transformer.decode(streams.map { DecodeInput(cache: $0.cache, tokens: $0.pending) })
            for (stream, row) in zip(streams, logits) { logitsOfStream[ObjectIdentifier(stream)] = row }
        }
        var updates: [GenerationUpdate] = []
        for sequence in sequences {
            let parts = sequence.streams.map { ($0.weight, logitsOfStream[ObjectIdentifier($0)]!) }
            updates.append(sequence.advance(logits: Self.combine(parts), maxPositions: model.maxPositions))
        }
        sequences.removeAll { $0.finished }
        return updates
    }

    /// Steps until every sequence in the session has finished and returns what each
    /// generated during this call, in the order added (for a session this call drives alone).
    public func runToCompletion() -> [GenerationResult] {
        var results: [String: GenerationResult] = [:]
        let order = activeIds
        for id in order {
            let sequence = sequences.first { $0.request.id == id }!
            results[id] = GenerationResult(
                id: id, tokenIds: [], text: "", finishReason: .length,
                promptTokens: sequence.request.promptIds.count, completionTokens: 0)
        }
        while !sequences.isEmpty {
            for update in step() {
                results[update.id]?.tokenIds.append(update.tokenId)
                results[update.id]?.text += update.text
                results[update.id]?.completionTokens = update.completionTokens
                if let reason = update.finishReason { results[update.id]?.finishReason = reason }
            }
        }
        return order.map { results[$0]! }
    }

    /// `Σ weight · logits` over a sequence's streams, accumulated in stream order, so
    /// two streams give `lambda · aligned + (1 − lambda) · other` exactly as
    /// `LogitInterpolation.mix` rounds it; a single stream of weight 1 as it is.
    static func combine(_ parts: [(weight: Float, logits: [Float])]) -> [Float] {
        if parts.count == 1, parts[0].weight == 1 { return parts[0].logits }
        var sum = [Float](repeating: 0, count: parts[0].logits.count)
        for (weight, logits) in parts {
            for i in sum.indices { sum[i] += weight * logits[i] }
        }
        return sum
    }
}

/// One stream of one sequence: its cache on one transformer and the tokens it has not
/// read yet (the prompt, then each sampled token).
final class SequenceStream {
    let transformer: Int
    let cache: KVCache
    let weight: Float
    var pending: [Int32]

    init(transformer: Int, cache: KVCache, weight: Float, pending: [Int32]) {
        self.transformer = transformer
        self.cache = cache
        self.weight = weight
        self.pending = pending
    }
}

/// A sequence being generated.
final class ActiveSequence {
    let request: GenerationRequest
    let streams: [SequenceStream]
    var sampler: Sampler
    var text: StreamingText?
    var completionTokens = 0
    var finished = false

    init(request: GenerationRequest, streams: [SequenceStream], sampler: Sampler, text: StreamingText?) {
        self.request = request
        self.streams = streams
        self.sampler = sampler
        self.text = text
    }

    /// Samples the next token from the combined logits and decides whether the
    /// sequence ends.
    func advance(logits: [Float], maxPositions: Int) -> GenerationUpdate {
        let token = sampler.sample(logits)
        completionTokens += 1
        var released = ""
        var reason: FinishReason?
        var stoppedByString = false
        if request.stopTokenIds.contains(token) {
            reason = .stop
        } else if var text {
            let piece = text.append(token: token)
            released = piece.text
            stoppedByString = piece.stopped
            self.text = text
        }
        if stoppedByString {
            reason = .stop
        } else if reason == nil {
            // Prompt plus generated tokens stay within the context, as in vLLM.
            let full = streams.contains { $0.cache.length + 1 >= maxPositions }
            if completionTokens == request.maxTokens || full { reason = .length }
        }
        // Text held back for a stop string that never came is released at the end.
        if reason != nil, !stoppedByString, var text {
            released += text.finish()
            self.text = text
        }
        finished = reason != nil
        for stream in streams { stream.pending = [token] }
        return GenerationUpdate(
            id: request.id, tokenId: token, text: released, finishReason: reason,
            promptTokens: request.promptIds.count, completionTokens: completionTokens)
    }
}
