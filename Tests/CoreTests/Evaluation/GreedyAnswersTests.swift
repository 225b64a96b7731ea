import Testing
@testable import Core

/// Heavy: run in release (`swift test -c release --disable-xctest --filter GreedyAnswers`).
@Suite("GreedyAnswers: batched greedy answers and their lengths on SmolLM2", .serialized)
struct GreedyAnswersTests {
    static let questions = [
        "What is the capital of France?", "Name a primary color.",
        "Write a long story about a dragon.", "What is 2 + 2?", "Explain how a car engine works.",
    ]

    /// The questions as SmolLM2's chat template renders them (default system message).
    static func prompts(_ served: ServedModel) throws -> [GreedyAnswers.Prompt] {
        let renderer = SequenceRenderer(model: served)
        return try questions.enumerated().map { index, question in
            let view = try renderer.render(.promptResponse(id: "q\(index)", prompt: question, response: "-"), systemOverride: nil)
            return GreedyAnswers.Prompt(id: "q\(index)", ids: Array(view.ids[..<view.promptLength]))
        }
    }

    /// Each prompt alone in a session of its own, driven by `runToCompletion`.
    static func direct(_ model: DecodingModel, _ prompts: [GreedyAnswers.Prompt], lambda: Float, maxTokens: Int, stops: [Int32]) throws -> [GenerationResult] {
        try prompts.map { prompt in
            let session = DecodeSession(model: model)
            try session.add(GenerationRequest(id: prompt.id, promptIds: prompt.ids, lambda: lambda, maxTokens: maxTokens, stopTokenIds: stops))
            return session.runToCompletion()[0]
        }
    }

    @Test("Answers generated two at a time (continuous batching) are the tokens of each prompt decoded alone; lengths follow")
    func plainModel() throws {
        let served = try ServedModel(name: "smol", file: try SmolLM2ModelFile.file.get())
        let prompts = try Self.prompts(served)
        let model = DecodingModel.plain(served.transformer)
        let maxTokens = 24
        let batched = try GreedyAnswers.generate(model: model, tokenizer: served.tokenizer, prompts: prompts, lambda: 1,
                                                 maxTokens: maxTokens, stopTokenIds: served.stopTokenIDs, batchSize: 2)
        let alone = try Self.direct(model, prompts, lambda: 1, maxTokens: maxTokens, stops: served.stopTokenIDs)
        #expect(batched.map(\.id) == prompts.map(\.id))
        #expect(batched.map(\.tokenIds) == alone.map(\.tokenIds))
        #expect(batched.map(\.completionTokens) == alone.map(\.completionTokens))
        #expect(batched.map(\.finishReason) == alone.map(\.finishReason))
        #expect(batched.map(\.text) == batched.map { served.tokenizer.decode($0.tokenIds.filter { !served.stopTokenIDs.contains($0) }, skipSpecial: true) })
        // The prompts were chosen so that some answers stop and some reach the cap.
        #expect(alone.contains { $0.finishReason == .stop } && alone.contains { $0.finishReason == .length })

        let lengths = AnswerLengths(batched, maxTokens: maxTokens)
        let counts = alone.map(\.completionTokens)
        let sorted = counts.sorted()
        #expect(lengths.answers == prompts.count)
        #expect(lengths.mean == Double(counts.reduce(0, +)) / Double(counts.count))
        #expect(lengths.median == Double(sorted[sorted.count / 2]))
        #expect(lengths.atCap == alone.filter { $0.completionTokens == maxTokens }.count)
        #expect(lengths.maxTokens == maxTokens)
    }

    @Test("An InRa model at lambda 0.5 (adapter: a copy of layer 0), three at a time, answers as each prompt alone")
    func inraLambda() throws {
        let file = try SmolLM2ModelFile.file.get()
        let served = try ServedModel(name: "smol", file: file)
        let prompts = Array(try Self.prompts(served).prefix(4))
        let model = DecodingModel.inra(InRaModel(base: file.weights, adapter: file.weights.layers[0]))
        let batched = try GreedyAnswers.generate(model: model, tokenizer: nil, prompts: prompts, lambda: 0.5,
                                                 maxTokens: 12, stopTokenIds: served.stopTokenIDs, batchSize: 3)
        let alone = try Self.direct(model, prompts, lambda: 0.5, maxTokens: 12, stops: served.stopTokenIDs)
        let base = try Self.direct(.plain(served.transformer), prompts, lambda: 1, maxTokens: 12, stops: served.stopTokenIDs)
        #expect(batched.map(\.tokenIds) == alone.map(\.tokenIds))
        #expect(batched.map(\.completionTokens) == alone.map(\.completionTokens))
        // The adapter changes the answers, so the comparison is not the base model's.
        #expect(alone.map(\.tokenIds) != base.map(\.tokenIds))
    }

    @Test("Median of an even count is the mean of the middle two; no answers, no lengths")
    func medianEven() {
        func result(_ tokens: Int, _ reason: FinishReason) -> GenerationResult {
            GenerationResult(id: "", tokenIds: [], text: "", finishReason: reason, promptTokens: 1, completionTokens: tokens)
        }
        let lengths = AnswerLengths([result(5, .stop), result(2, .stop), result(9, .length), result(4, .stop)], maxTokens: 9)
        #expect(lengths.mean == 5 && lengths.median == 4.5 && lengths.atCap == 1 && lengths.answers == 4)
        let none = AnswerLengths([], maxTokens: 9)
        #expect(none.answers == 0 && none.mean == 0 && none.median == 0 && none.atCap == 0)
    }
}
