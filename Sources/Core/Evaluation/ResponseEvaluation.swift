/// How a model scores the responses of held-out sequences: the log-likelihood it gives
/// the reference responses - averaged over response tokens, and summed per sequence then
/// averaged over sequences - and, when the sequences carry a stored teacher's top-k rows,
/// the mean KL to them in both directions (the tail outside the top-k spread uniformly,
/// as in training, see `TopKTeacher`).
public struct ResponseEvaluation: Sendable, Equatable {
    public var sequences: Int
    public var responseTokens: Int
    /// Mean `KL(teacher || model)` and `KL(model || teacher)` per response token; nil
    /// without teacher rows.
    public var forwardKL: Double?
    public var reverseKL: Double?
    /// Mean `log p(token)` over all response tokens.
    public var meanTokenLogLikelihood: Double
    /// Mean over sequences of `Σ log p(token)` over the sequence's response.
    public var meanSequenceLogLikelihood: Double

    public init(sequences: Int, responseTokens: Int, forwardKL: Double?, reverseKL: Double?,
                meanTokenLogLikelihood: Double, meanSequenceLogLikelihood: Double) {
        self.sequences = sequences
        self.responseTokens = responseTokens
        self.forwardKL = forwardKL
        self.reverseKL = reverseKL
        self.meanTokenLogLikelihood = meanTokenLogLikelihood
        self.meanSequenceLogLikelihood = meanSequenceLogLikelihood
    }

    /// Evaluates `model` on `sequences`, `tokenBudget` tokens a forward pass.
    public static func run(model: Transformer, sequences: [TrainingSequence], tokenBudget: Int = 4096) -> ResponseEvaluation {
        run(sequences: sequences, tokenBudget: tokenBudget) { model.logits(sequences: $0, rows: $1) }
    }

    /// Evaluates the model whose logits of the given rows `logits` computes (an InRa
    /// model at one lambda, for instance). Either every sequence has teacher rows or none has.
    public static func run(sequences: [TrainingSequence], tokenBudget: Int = 4096,
                           logits: ([[Int32]], [Range<Int>]) -> [Matrix]) -> ResponseEvaluation {
        let withTeacher = sequences.contains { $0.teacherTopK != nil }
        precondition(!withTeacher || sequences.allSatisfy { $0.teacherTopK != nil }, "some sequences have teacher rows and some not")
        let plan = BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: tokenBudget, seed: 0, shuffles: false)
        var forward: Double = 0, reverse: Double = 0, logLikelihood: Double = 0, rows = 0
        for range in plan.microBatches {
            let batch = Array(sequences[range])
            for (sequence, sequenceLogits) in zip(batch, logits(batch.map(\.ids), batch.map(\.lossRows))) {
                if let topK = sequence.teacherTopK {
                    let teacher = TopKTeacher.logProbs(ids: topK.ids, logProbs: topK.logProbs, topK: topK.k, vocab: sequenceLogits.cols)
                    forward += TrainingLoss.kl(studentLogits: sequenceLogits, teacherLogProbs: teacher, direction: .forward, meanOver: 1).mean
                    reverse += TrainingLoss.kl(studentLogits: sequenceLogits, teacherLogProbs: teacher, direction: .reverse, meanOver: 1).mean
                }
                logLikelihood -= TrainingLoss.crossEntropy(studentLogits: sequenceLogits, targets: Array(sequence.responseIDs), meanOver: 1).mean
                rows += sequenceLogits.rows
            }
        }
        let tokens = Double(max(rows, 1))
        return ResponseEvaluation(
            sequences: sequences.count, responseTokens: rows,
            forwardKL: withTeacher ? forward / tokens : nil, reverseKL: withTeacher ? reverse / tokens : nil,
            meanTokenLogLikelihood: logLikelihood / tokens, meanSequenceLogLikelihood: logLikelihood / Double(max(sequences.count, 1)))
    }
}
