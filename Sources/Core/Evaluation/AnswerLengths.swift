/// How long a model's answers are: the numbers by which the paper compares
/// realignments (token usage at equal quality).
public struct AnswerLengths: Sendable, Equatable {
    public var answers: Int
    /// Mean and median generated tokens per answer (a final stop token included).
    public var mean: Double
    public var median: Double
    /// Answers that ended at the token cap (or the context's end) instead of a stop token.
    public var atCap: Int
    public var maxTokens: Int

    public init(_ results: [GenerationResult], maxTokens: Int) {
        let lengths = results.map(\.completionTokens).sorted()
        answers = lengths.count
        mean = lengths.isEmpty ? 0 : Double(lengths.reduce(0, +)) / Double(lengths.count)
        if lengths.isEmpty {
            median = 0
        } else if lengths.count % 2 == 1 {
            median = Double(lengths[lengths.count / 2])
        } else {
            median = Double(lengths[lengths.count / 2 - 1] + lengths[lengths.count / 2]) / 2
        }
        atCap = results.filter { $0.finishReason == .length }.count
        self.maxTokens = maxTokens
    }
}
