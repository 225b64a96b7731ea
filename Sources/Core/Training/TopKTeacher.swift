import Foundation

/// Teacher rows from top-k targets (what a teacher output directory stores): the k
/// log-probabilities of each row keep their values (they are normalised over the whole
/// vocabulary when the fleet computes them) and the mass they leave, `1 − Σ p_topk`, is
/// spread uniformly over the other `vocab − k` ids.
///
/// Why the uniform tail rather than renormalising over the top-k: the top-k values stay
/// the teacher's own, the tail's total mass stays exactly what the teacher gave it, and
/// every id keeps a finite log-probability, so both KL directions are defined with the
/// same full-vocabulary loss code. Renormalising would set `log p_T = −∞` outside the
/// top-k, which makes the reverse KL infinite for any student that gives those ids any
/// probability, and it inflates the top-k probabilities by `1 / Σ p_topk`. A row whose
/// top-k mass rounds to 1 or more gets a tail of `Double.ulpOfOne` in total.
public enum TopKTeacher {
    /// Full `[rows, vocab]` log-prob rows from row-major top-k ids and log-probs
    /// (`rows · k` each).
    public static func logProbs(ids: [Int32], logProbs: [Float], topK k: Int, vocab: Int) -> Matrix {
        precondition(k >= 1 && k <= vocab, "top-k \(k) outside 1...\(vocab)")
        precondition(ids.count == logProbs.count && ids.count % k == 0,
                     "\(ids.count) ids and \(logProbs.count) log-probs do not make rows of \(k)")
        let rows = ids.count / k
        var result = Matrix(zeros: rows, vocab)
        for row in 0..<rows {
            let topIds = ids[row * k..<(row + 1) * k]
            let topLogProbs = logProbs[row * k..<(row + 1) * k]
            let topMass = topLogProbs.reduce(0.0) { $0 + exp(Double($1)) }
            let tail = k < vocab ? Float(log(max(1 - topMass, Double.ulpOfOne) / Double(vocab - k))) : -.infinity
            let base = row * vocab
            for v in 0..<vocab { result.values[base + v] = tail }
            for (id, logProb) in zip(topIds, topLogProbs) {
                precondition(id >= 0 && Int(id) < vocab, "top-k id \(id) outside the vocabulary of \(vocab)")
                result.values[base + Int(id)] = logProb
            }
        }
        return result
    }

    /// The same for the fused targets of one λ.
    public static func logProbs(_ targets: FusedTargets, vocab: Int) -> Matrix {
        logProbs(ids: targets.topKIds, logProbs: targets.topKLogProbs, topK: targets.topK, vocab: vocab)
    }
}
