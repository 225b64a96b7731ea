import Foundation

/// `Fusion.fuse` with the vocabulary in blocks of columns, so neither model's logits are
/// ever held whole (a row of 49,152 logits is 192 KB; a job has thousands of rows).
/// Each block updates, per row and λ, the running maximum of the fused logits and the
/// sum of their exponentials (rescaled when the maximum grows, as online softmax does),
/// the top-k entries so far and the target's fused logit; `finish` normalises them.
/// Blocks come in column order and cover the vocabulary once. With a single block of
/// the whole vocabulary the result is bit-identical to a pass over full rows.
final class FusionAccumulator {
    let rows: Int
    let vocab: Int
    let lambdas: [Double]
    let topK: Int
    let targets: [Int32]
    /// Per row and λ (index `row · lambdas.count + l`): the fused logits' maximum so far,
    /// the sum of `exp(z − maximum)` so far, the target's fused logit, the best entries.
    private var maxima: [Float]
    private var sums: [Double]
    private var targetLogits: [Float]
    private var selections: [TopKSelection]
    private var nextColumn = 0

    init(rows: Int, vocab: Int, lambdas: [Double], topK: Int, targets: [Int32]) {
        precondition(topK >= 1 && topK <= vocab, "top-k \(topK) outside 1...\(vocab)")
        precondition(targets.count == rows, "\(targets.count) target ids for \(rows) rows")
        for target in targets {
            precondition(target >= 0 && Int(target) < vocab, "target id \(target) outside the vocabulary of \(vocab)")
        }
        self.rows = rows
        self.vocab = vocab
        self.lambdas = lambdas
        self.topK = topK
        self.targets = targets
        let states = rows * lambdas.count
        maxima = [Float](repeating: -.infinity, count: states)
        sums = [Double](repeating: 0, count: states)
        targetLogits = [Float](repeating: 0, count: states)
        selections = [TopKSelection](repeating: TopKSelection(k: topK), count: states)
    }

    /// Takes the logits of vocabulary entries `columns` (the next block) of every row:
    /// row `r`'s are at `ref + r · rowStride` and `aligned + r · rowStride`.
    func absorb(ref: UnsafePointer<Float>, aligned: UnsafePointer<Float>, rowStride: Int, columns: Range<Int>) {
        precondition(columns.lowerBound == nextColumn && columns.upperBound <= vocab,
                     "block \(columns) does not continue at column \(nextColumn) of \(vocab)")
        nextColumn = columns.upperBound
        let count = columns.count
        let first = columns.lowerBound
        let lambdas = self.lambdas
        let targets = self.targets
        maxima.withUnsafeMutableBufferPointer { maxima in
            sums.withUnsafeMutableBufferPointer { sums in
                targetLogits.withUnsafeMutableBufferPointer { targetLogits in
                    selections.withUnsafeMutableBufferPointer { selections in
                        ParallelLoop.run(count: rows) { row in
                            withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { z in
                                let z = z.baseAddress!
                                let target = Int(targets[row]) - first
                                for (l, lambda) in lambdas.enumerated() {
                                    let state = row * lambdas.count + l
                                    let blockMaximum = Fusion.fuse(
                                        ref: ref + row * rowStride, aligned: aligned + row * rowStride,
                                        lambda: lambda, count: count, into: z)
                                    if blockMaximum > maxima[state] {
                                        sums[state] *= Double(exp(maxima[state] - blockMaximum))
                                        maxima[state] = blockMaximum
                                    }
                                    sums[state] += Fusion.sumOfExponentials(z, count: count, shiftedBy: maxima[state])
                                    selections[state].offer(z, count: count, firstIndex: first)
                                    if (0..<count).contains(target) { targetLogits[state] = z[target] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The targets for every λ, in `lambdas` order, once every column has been absorbed.
    func finish() -> [FusedTargets] {
        precondition(nextColumn == vocab || rows == 0, "fused \(nextColumn) of \(vocab) columns")
        let lambdaCount = lambdas.count
        return lambdas.enumerated().map { l, lambda in
            var ids = [Int32]()
            var logProbs = [Float]()
            var targetLogProbs = [Float]()
            ids.reserveCapacity(rows * topK)
            logProbs.reserveCapacity(rows * topK)
            targetLogProbs.reserveCapacity(rows)
            for row in 0..<rows {
                let state = row * lambdaCount + l
                let shift = Fusion.LogSoftmaxShift(maximum: maxima[state], logSum: Float(log(sums[state])))
                for entry in selections[state].ranked() {
                    ids.append(entry.index)
                    logProbs.append(shift.logProb(entry.value))
                }
                targetLogProbs.append(shift.logProb(targetLogits[state]))
            }
            return FusedTargets(lambda: lambda, topK: topK, topKIds: ids, topKLogProbs: logProbs, targetLogProbs: targetLogProbs)
        }
    }
}
