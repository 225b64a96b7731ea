/// Greedy answers of one model to many prompts, generated with continuous batching in
/// one `DecodeSession`: at most `batchSize` sequences decode together and a finished one
/// is replaced by the next prompt. Each sequence generates what it would alone (the
/// session's guarantee), so the answers do not depend on the batch size.
public enum GreedyAnswers {
    /// One prompt, as token ids.
    public struct Prompt: Sendable, Equatable {
        public var id: String
        public var ids: [Int32]

        public init(id: String, ids: [Int32]) {
            self.id = id
            self.ids = ids
        }
    }

    /// The answers, in the order of `prompts`: at most `maxTokens` tokens each, ended by
    /// one of `stopTokenIds` (counted, as `completionTokens` counts it) or by the cap.
    /// `lambda` is the InRa / DeRa weight of the aligned stream (ignored by plain models).
    public static func generate(
        model: DecodingModel, tokenizer: Tokenizer?, prompts: [Prompt], lambda: Float, maxTokens: Int,
        stopTokenIds: [Int32], batchSize: Int
    ) throws(GenerationError) -> [GenerationResult] {
        precondition(batchSize >= 1, "batch size \(batchSize)")
        let session = DecodeSession(model: model, tokenizer: tokenizer)
        var results = prompts.map {
            GenerationResult(id: $0.id, tokenIds: [], text: "", finishReason: .length, promptTokens: $0.ids.count, completionTokens: 0)
        }
        var indexOfId: [String: Int] = [:]
        var next = 0
        func admit() throws(GenerationError) {
            while next < prompts.count, indexOfId.count < batchSize {
                let prompt = prompts[next]
                // Prompt ids need not be unique across prompts; the session's ids must be.
                let id = String(next)
                try session.add(GenerationRequest(id: id, promptIds: prompt.ids, lambda: lambda, maxTokens: maxTokens,
                                                  stopTokenIds: stopTokenIds))
                indexOfId[id] = next
                next += 1
            }
        }
        try admit()
        while !session.isEmpty {
            for update in session.step() {
                let index = indexOfId[update.id]!
                results[index].tokenIds.append(update.tokenId)
                results[index].text += update.text
                results[index].completionTokens = update.completionTokens
                if let reason = update.finishReason {
                    results[index].finishReason = reason
                    indexOfId[update.id] = nil
                }
            }
            try admit()
        }
        return results
    }
}
