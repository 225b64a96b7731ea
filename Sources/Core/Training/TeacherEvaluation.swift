/// How close a model is to a stored teacher on held-out sequences: the mean KL to the
/// teacher's top-k rows in both directions (the tail outside the top-k spread uniformly,
/// as in training, see `TopKTeacher`), and the log-likelihood the model gives the
/// reference responses (the response tokens of the teacher output) - averaged over
/// response tokens, and summed per sequence then averaged over sequences.
public struct TeacherEvaluation: Sendable, Equatable {
    public var sequences: Int
    public var responseTokens: Int
    public var forwardKL: Double
    public var reverseKL: Double
    /// Mean `log p(token)` over all response tokens.
    public var meanTokenLogLikelihood: Double
    /// Mean over sequences of `Σ log p(token)` over the sequence's response.
    public var meanSequenceLogLikelihood: Double

    public init(sequences: Int, responseTokens: Int, forwardKL: Double, reverseKL: Double,
                meanTokenLogLikelihood: Double, meanSequenceLogLikelihood: Double) {
        self.sequences = sequences
        self.responseTokens = responseTokens
        self.forwardKL = forwardKL
        self.reverseKL = reverseKL
        self.meanTokenLogLikelihood = meanTokenLogLikelihood
        self.meanSequenceLogLikelihood = meanSequenceLogLikelihood
    }

    /// Evaluates `model` on `sequences` (each with teacher rows), `tokenBudget` tokens a forward pass.
    public static func run(model: Transformer, sequences: [TrainingSequence], tokenBudget: Int = 4096) -> TeacherEvaluation {
        precondition(sequences.allSatisfy { $0.teacherTopK != nil }, "every evaluated sequence needs teacher rows")
        let plan = BatchPlan(sequenceLengths: sequences.map(\.ids.count), tokenBudget: tokenBudget, seed: 0, shuffles: false)
        var forward: Double = 0, reverse: Double = 0, logLikelihood: Double = 0, rows = 0
        for range in plan.microBatches {
            let batch = Array(sequences[range])
            let logits = model.logits(sequences: batch.map(\.ids), rows: batch.map(\.lossRows))
            for (sequence, sequenceLogits) in zip(batch, logits) {
                let topK = sequence.teacherTopK!
                let teacher = TopKTeacher.logProbs(ids: topK.ids, logProbs: topK.logProbs, topK: topK.k, vocab: sequenceLogits.cols)
                forward += TrainingLoss.kl(studentLogits: sequenceLogits, teacherLogProbs: teacher, direction: .forward, meanOver: 1).mean
                reverse += TrainingLoss.kl(studentLogits: sequenceLogits, teacherLogProbs: teacher, direction: .reverse, meanOver: 1).mean
                logLikelihood -= TrainingLoss.crossEntropy(studentLogits: sequenceLogits, targets: Array(sequence.responseIDs), meanOver: 1).mean
                rows += sequenceLogits.rows
            }
        }
        let tokens = Double(max(rows, 1))
        return TeacherEvaluation(
            sequences: sequences.count, responseTokens: rows, forwardKL: forward / tokens, reverseKL: reverse / tokens,
            meanTokenLogLikelihood: logLikelihood / tokens, meanSequenceLogLikelihood: logLikelihood / Double(max(sequences.count, 1)))
    }
}
