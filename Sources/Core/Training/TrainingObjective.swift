/// What a training step minimises on the loss rows of a micro-batch.
public enum TrainingObjective: Sendable {
    /// TrRa from stored targets: the KL to each sequence's top-k teacher rows, the tail
    /// outside the top-k spread uniformly (see `TopKTeacher`).
    case distillTopK(direction: KLDirection)
    /// TrRa with the teacher computed at each step: the full-vocabulary
    /// `log_softmax(λ·h_aligned + (1−λ)·h_ref)` from the two frozen models, the aligned
    /// model reading each sequence's aligned view (the student's view when it has none).
    case distillOnline(ref: Transformer, aligned: Transformer, lambda: Double, direction: KLDirection)
    /// SFT (InRa adapters): cross-entropy of the response tokens.
    case crossEntropy

    /// The loss of `studentLogits` (the loss rows of `batch`, stacked in order), its mean
    /// taken over `meanOver` rows so that micro-batches of one step average together.
    func loss(batch: [TrainingSequence], studentLogits: Matrix, meanOver: Int) -> LogitLoss {
        let vocab = studentLogits.cols
        switch self {
        case .crossEntropy:
            return TrainingLoss.crossEntropy(studentLogits: studentLogits, targets: batch.flatMap(\.responseIDs), meanOver: meanOver)
        case .distillTopK(let direction):
            let teacher = TopKTeacher.logProbs(
                ids: batch.flatMap { $0.teacherTopK!.ids }, logProbs: batch.flatMap { $0.teacherTopK!.logProbs },
                topK: batch[0].teacherTopK!.k, vocab: vocab)
            return TrainingLoss.kl(studentLogits: studentLogits, teacherLogProbs: teacher, direction: direction, meanOver: meanOver)
        case .distillOnline(let ref, let aligned, let lambda, let direction):
            let refLogits = ref.logits(sequences: batch.map(\.ids), rows: batch.map(\.lossRows))
            let alignedLogits: [Matrix]
            if ref === aligned, batch.allSatisfy({ $0.alignedView == nil }) {
                alignedLogits = refLogits
            } else {
                let views = batch.map { $0.alignedView ?? RenderedSequence(ids: $0.ids, promptLength: $0.promptLength) }
                alignedLogits = aligned.logits(sequences: views.map(\.ids), rows: views.map(\.responseRows))
            }
            let teacher = Fusion.fusedLogProbs(ref: Self.stacked(refLogits, cols: vocab), aligned: Self.stacked(alignedLogits, cols: vocab),
                                               lambda: lambda)
            return TrainingLoss.kl(studentLogits: studentLogits, teacherLogProbs: teacher, direction: direction, meanOver: meanOver)
        }
    }

    /// Whether every sequence carries what this objective reads.
    func check(_ sequences: [TrainingSequence]) -> String? {
        if case .distillTopK = self, let missing = sequences.first(where: { $0.teacherTopK == nil }) {
            return "sequence \(missing.id) has no teacher rows"
        }
        if case .distillTopK = self, let bad = sequences.first(where: { $0.teacherTopK!.rowCount != $0.lossRows.count }) {
            return "sequence \(bad.id) has \(bad.teacherTopK!.rowCount) teacher rows for \(bad.lossRows.count) response rows"
        }
        if case .distillTopK = self, Set(sequences.map { $0.teacherTopK!.k }).count > 1 {
            return "the teacher rows do not all have the same top-k"
        }
        return nil
    }

    private static func stacked(_ parts: [Matrix], cols: Int) -> Matrix {
        Matrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: cols, values: parts.flatMap(\.values))
    }
}
