import Foundation

/// Which way the TrRa KL between teacher and student runs.
public enum KLDirection: String, Sendable, CaseIterable {
    /// `KL(p_teacher || p_student) = Σ p_T · (log p_T − log p_S)` (what the authors' code computes).
    case forward
    /// `KL(p_student || p_teacher) = Σ p_S · (log p_S − log p_T)` (what the paper writes).
    case reverse
}

/// A loss over rows of student logits: its mean, each row's value, and the gradient of
/// the mean with respect to the logits (the backward pass's starting point).
public struct LogitLoss: Sendable, Equatable {
    public var mean: Double
    public var perRow: [Double]
    public var logitGradient: Matrix

    public init(mean: Double, perRow: [Double], logitGradient: Matrix) {
        self.mean = mean
        self.perRow = perRow
        self.logitGradient = logitGradient
    }
}

/// The training losses on response rows. Each row's value is computed in Double from
/// a max-subtracted log-softmax; the mean divides by `meanOver` (by default the
/// number of rows), so that a batch split into micro-batches for gradient
/// accumulation can still average over all of its response tokens.
public enum TrainingLoss {
    /// TrRa distillation: the KL in `direction` between the teacher's log-probabilities
    /// (`[T, vocab]`, normalised rows) and `log_softmax(studentLogits)`, per row, then
    /// averaged. Gradients: forward `(p_S − p_T) / N`; reverse
    /// `p_S ⊙ (log p_S − log p_T − KL_row) / N`. A teacher log-prob of `−∞` contributes
    /// nothing to the forward KL and makes the reverse KL infinite.
    public static func kl(
        studentLogits: Matrix, teacherLogProbs: Matrix, direction: KLDirection, meanOver count: Int? = nil
    ) -> LogitLoss {
        precondition(studentLogits.rows == teacherLogProbs.rows && studentLogits.cols == teacherLogProbs.cols,
                     "student logits \(studentLogits.rows)x\(studentLogits.cols) and teacher log-probs \(teacherLogProbs.rows)x\(teacherLogProbs.cols) differ in shape")
        return perRowLoss(studentLogits, meanOver: count) { row, logProbs, gradient in
            let teacher = teacherLogProbs.values[row * teacherLogProbs.cols..<(row + 1) * teacherLogProbs.cols]
            var value: Double = 0
            switch direction {
            case .forward:
                for (v, t) in teacher.enumerated() where t > -.infinity {
                    let teacherLogProb = Double(t)
                    value += exp(teacherLogProb) * (teacherLogProb - logProbs[v])
                    gradient[v] = exp(logProbs[v]) - exp(teacherLogProb)
                }
                for (v, t) in teacher.enumerated() where t == -.infinity { gradient[v] = exp(logProbs[v]) }
            case .reverse:
                for (v, t) in teacher.enumerated() {
                    value += exp(logProbs[v]) * (logProbs[v] - Double(t))
                }
                for (v, t) in teacher.enumerated() {
                    gradient[v] = exp(logProbs[v]) * (logProbs[v] - Double(t) - value)
                }
            }
            return value
        }
    }

    /// SFT cross-entropy `−log p_S(target)` per row (InRa adapters train on it); its
    /// gradient is `(p_S − onehot(target)) / N`.
    public static func crossEntropy(studentLogits: Matrix, targets: [Int32], meanOver count: Int? = nil) -> LogitLoss {
        precondition(targets.count == studentLogits.rows, "\(targets.count) targets for \(studentLogits.rows) rows")
        return perRowLoss(studentLogits, meanOver: count) { row, logProbs, gradient in
            let target = Int(targets[row])
            precondition(target >= 0 && target < logProbs.count, "target id \(target) outside the vocabulary of \(logProbs.count)")
            for v in logProbs.indices { gradient[v] = exp(logProbs[v]) }
            gradient[target] -= 1
            return -logProbs[target]
        }
    }

    /// Runs `rowLoss(row, studentLogProbs, gradient)` on every row in parallel; it
    /// returns the row's loss and fills the row's logit gradient (before the 1/N).
    private static func perRowLoss(
        _ logits: Matrix, meanOver count: Int?, _ rowLoss: (Int, [Double], inout [Double]) -> Double
    ) -> LogitLoss {
        let rows = logits.rows
        let vocab = logits.cols
        let divisor = count ?? rows
        precondition(divisor > 0 || rows == 0, "a mean over \(divisor) rows")
        var perRow = [Double](repeating: 0, count: rows)
        var gradient = Matrix(zeros: rows, vocab)
        let scale = divisor > 0 ? 1 / Double(divisor) : 0
        perRow.withUnsafeMutableBufferPointer { perRowBuffer in
            gradient.values.withUnsafeMutableBufferPointer { gradientBuffer in
                let values = perRowBuffer.baseAddress!
                let gradients = gradientBuffer.baseAddress!
                ParallelLoop.run(count: rows) { row in
                    let z = logits.values[row * vocab..<(row + 1) * vocab]
                    let maximum = Double(z.max()!)
                    let logSum = log(z.reduce(0.0) { $0 + exp(Double($1) - maximum) }) + maximum
                    let logProbs = z.map { Double($0) - logSum }
                    var rowGradient = [Double](repeating: 0, count: vocab)
                    values[row] = rowLoss(row, logProbs, &rowGradient)
                    for v in 0..<vocab { gradients[row * vocab + v] = Float(rowGradient[v] * scale) }
                }
            }
        }
        return LogitLoss(mean: perRow.reduce(0, +) * scale, perRow: perRow, logitGradient: gradient)
    }
}
