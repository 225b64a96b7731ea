/// The teacher targets at one λ for `rowCount` rows: the top `topK` token ids of the
/// fused distribution per row by descending probability (ties: lower id first), their
/// log-probabilities normalised over the whole vocabulary, and the log-probability of
/// each row's target token. Arrays are row-major: row `t` owns
/// `topKIds[t·topK ..< (t+1)·topK]`.
public struct FusedTargets: Sendable, Equatable {
    public var lambda: Double
    public var topK: Int
    public var topKIds: [Int32]
    public var topKLogProbs: [Float]
    public var targetLogProbs: [Float]

    public init(lambda: Double, topK: Int, topKIds: [Int32], topKLogProbs: [Float], targetLogProbs: [Float]) {
        self.lambda = lambda
        self.topK = topK
        self.topKIds = topKIds
        self.topKLogProbs = topKLogProbs
        self.targetLogProbs = targetLogProbs
    }

    public var rowCount: Int { targetLogProbs.count }
}
