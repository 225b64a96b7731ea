/// Greedy generation through `DecodeSession`, as a worker serves it: the prompt is
/// prefilled in the first step, which also yields the first token, then one token a step.
public enum DecodeBenchmark {
    public struct Measurement: Sendable {
        public var promptTokens: Int
        public var generatedTokens: Int
        public var repetitions: Int
        /// Seconds of the fastest whole generation (prefill and every token).
        public var seconds: Double
        /// Seconds of that generation's first step (prefill and the first token).
        public var prefillSeconds: Double
        /// Mean seconds of a whole generation.
        public var meanSeconds: Double
        /// The tokens generated (the same in every repetition: greedy).
        public var tokenIds: [Int32]

        /// Generated tokens per second of the whole generation.
        public var tokensPerSecond: Double { Double(generatedTokens) / seconds }
        /// Tokens per second after the first (the steady decode rate).
        public var decodeTokensPerSecond: Double { Double(generatedTokens - 1) / (seconds - prefillSeconds) }
    }

    /// Generates `tokens` tokens after `prompt` (no stop tokens: always exactly
    /// `tokens`), once untimed and then `repetitions` (at least one) times timed. `lambda` is the
    /// weight of the aligned stream (InRa and DeRa models; 0 and 1 run one stream).
    public static func measure(model: DecodingModel, prompt: [Int32], tokens: Int, lambda: Float = 1,
                               repetitions: Int) throws(GenerationError) -> Measurement {
        func generate() throws(GenerationError) -> (seconds: Double, prefill: Double, ids: [Int32]) {
            let session = DecodeSession(model: model)
            try session.add(GenerationRequest(id: "bench", promptIds: prompt, lambda: lambda, sampling: .greedy, maxTokens: tokens))
            var ids: [Int32] = []
            let started = ContinuousClock.now
            var prefill = 0.0
            while !session.isEmpty {
                ids += session.step().map(\.tokenId)
                if ids.count == 1 { prefill = (ContinuousClock.now - started).inSeconds }
            }
            return ((ContinuousClock.now - started).inSeconds, prefill, ids)
        }
        let ids = try generate().ids
        var runs: [(seconds: Double, prefill: Double)] = []
        for _ in 0..<max(1, repetitions) {
            let run = try generate()
            runs.append((run.seconds, run.prefill))
        }
        let fastest = runs.min { $0.seconds < $1.seconds }!
        return Measurement(promptTokens: prompt.count, generatedTokens: ids.count, repetitions: runs.count,
                           seconds: fastest.seconds, prefillSeconds: fastest.prefill,
                           meanSeconds: runs.reduce(0) { $0 + $1.seconds } / Double(runs.count), tokenIds: ids)
    }
}
