import COpenBLAS

/// The backward pass of `CausalAttention` from the probabilities its forward pass kept.
/// Per sequence and query head `i` (key/value head `g = i / group`), with
/// `S = scale · Q·Kᵀ`, `P = softmax(S)` (causal) and `O = P·V`:
/// `dP = dO·Vᵀ`, `dV_g += Pᵀ·dO`, `dS = P ⊙ (dP − rowsum(P ⊙ dP))`,
/// `dQ = scale · dS·K`, `dK_g += scale · dSᵀ·Q`. The query heads of a group add their
/// shares into the one key/value head they read. Masked entries have `P = 0`, so
/// they give `dS = 0` without a separate mask.
struct AttentionBackward {
    let attention: CausalAttention

    /// `q`, `k`, `v` are the rotated forward inputs, `probabilities` what the forward
    /// pass kept, `outputGradient` the gradient of the head outputs (`[rows, heads·headDim]`).
    /// Writes `dq` (`[rows, heads·headDim]`), `dk` and `dv` (`[rows, kvHeads·headDim]`),
    /// all in the rotated space (RoPE's inverse comes after).
    func run(
        batch: TokenBatch, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        probabilities: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
        dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>
    ) {
        let heads = attention.heads
        let headDim = attention.headDim
        let queryWidth = heads * headDim
        let keyWidth = attention.kvHeads * headDim
        let group = heads / attention.kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        dk.update(repeating: 0, count: batch.rowCount * keyWidth)
        dv.update(repeating: 0, count: batch.rowCount * keyWidth)
        let longest = batch.longestSequence
        guard longest > 0 else { return }
        let scores = ScratchBuffer(count: longest * longest)
        let s = scores.pointer
        for sequence in 0..<batch.sequenceCount {
            let rows = batch.rows(ofSequence: sequence)
            let n = rows.count
            for head in 0..<heads {
                let kvHead = head / group
                let p = probabilities + attention.probabilityOffset(batch: batch, sequence: sequence, head: head)
                let qHead = q + rows.lowerBound * queryWidth + head * headDim
                let kHead = k + rows.lowerBound * keyWidth + kvHead * headDim
                let vHead = v + rows.lowerBound * keyWidth + kvHead * headDim
                let dOut = outputGradient + rows.lowerBound * queryWidth + head * headDim
                let dqHead = dq + rows.lowerBound * queryWidth + head * headDim
                let dkHead = dk + rows.lowerBound * keyWidth + kvHead * headDim
                let dvHead = dv + rows.lowerBound * keyWidth + kvHead * headDim
                // dP = dO · Vᵀ
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(headDim),
                            1, dOut, Int32(queryWidth), vHead, Int32(keyWidth), 0, s, Int32(n))
                // dV += Pᵀ · dO
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(headDim), Int32(n),
                            1, p, Int32(n), dOut, Int32(queryWidth), 1, dvHead, Int32(keyWidth))
                // dS = P ⊙ (dP − rowsum(P ⊙ dP)), in place over dP
                ParallelLoop.run(count: n) { i in
                    let pRow = p + i * n
                    let row = s + i * n
                    var dot: Float = 0
                    for j in 0...i { dot += pRow[j] * row[j] }
                    for j in 0...i { row[j] = pRow[j] * (row[j] - dot) }
                    for j in (i + 1)..<n { row[j] = 0 }
                }
                // dQ = scale · dS · K
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(headDim), Int32(n),
                            scale, s, Int32(n), kHead, Int32(keyWidth), 0, dqHead, Int32(queryWidth))
                // dK += scale · dSᵀ · Q
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(headDim), Int32(n),
                            scale, s, Int32(n), qHead, Int32(queryWidth), 1, dkHead, Int32(keyWidth))
            }
        }
    }
}
