import COpenBLAS

/// Causal grouped-query self-attention over a `TokenBatch`, one sequence and query head
/// at a time. Query head `i` reads key/value head `i / (heads / kvHeads)`. Queries go in
/// blocks of `blockRows`: a block's scores against the keys up to its last row are one
/// matrix product, masked and soft-maxed row by row (rows in parallel), then multiplied
/// into the values by a second product, so causal masking skips most of the upper
/// triangle and no score matrix larger than `blockRows × length` exists.
struct CausalAttention {
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    static let blockRows = 64

    /// `q` is `[rows, heads·headDim]`, `k` and `v` `[rows, kvHeads·headDim]`, already
    /// rotated; writes the concatenated head outputs to `output` (`[rows, heads·headDim]`).
    /// When `probabilities` is given (training keeps them for the backward pass), the
    /// soft-maxed scores of every sequence and query head are copied there as a full
    /// `length × length` matrix, zero above the diagonal, at
    /// `probabilityOffset(batch:sequence:head:)`.
    func run(
        batch: TokenBatch, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>? = nil
    ) {
        let queryWidth = heads * headDim
        let keyWidth = kvHeads * headDim
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        let blockRows = Self.blockRows
        let longest = batch.longestSequence
        guard longest > 0 else { return }
        var scores = [Float](repeating: 0, count: min(blockRows, longest) * longest)
        scores.withUnsafeMutableBufferPointer { scoreBuffer in
            let s = scoreBuffer.baseAddress!
            for sequence in 0..<batch.sequenceCount {
                let rows = batch.rows(ofSequence: sequence)
                for head in 0..<heads {
                    let kvHead = head / group
                    let qHead = q + rows.lowerBound * queryWidth + head * headDim
                    let kHead = k + rows.lowerBound * keyWidth + kvHead * headDim
                    let vHead = v + rows.lowerBound * keyWidth + kvHead * headDim
                    let outHead = output + rows.lowerBound * queryWidth + head * headDim
                    let kept = probabilities.map { $0 + probabilityOffset(batch: batch, sequence: sequence, head: head) }
                    var first = 0
                    while first < rows.count {
                        let blockCount = min(blockRows, rows.count - first)
                        let keys = first + blockCount
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasTrans,
                            Int32(blockCount), Int32(keys), Int32(headDim),
                            scale, qHead + first * queryWidth, Int32(queryWidth),
                            kHead, Int32(keyWidth), 0, s, Int32(keys))
                        ParallelLoop.run(count: blockCount) { i in
                            let row = s + i * keys
                            let visible = first + i + 1
                            ElementWise.softmax(row, count: visible)
                            for j in visible..<keys { row[j] = 0 }
                            if let kept {
                                let destination = kept + (first + i) * rows.count
                                destination.update(from: row, count: visible)
                                (destination + visible).update(repeating: 0, count: rows.count - visible)
                            }
                        }
                        cblas_sgemm(
                            CblasRowMajor, CblasNoTrans, CblasNoTrans,
                            Int32(blockCount), Int32(headDim), Int32(keys),
                            1, s, Int32(keys), vHead, Int32(keyWidth),
                            0, outHead + first * queryWidth, Int32(queryWidth))
                        first += blockCount
                    }
                }
            }
        }
    }

    /// Floats needed to keep the probabilities of every sequence and query head.
    func probabilityCount(batch: TokenBatch) -> Int {
        heads * (0..<batch.sequenceCount).reduce(0) { $0 + batch.rows(ofSequence: $1).count * batch.rows(ofSequence: $1).count }
    }

    /// Where the `length × length` probabilities of `sequence` and query `head` start:
    /// sequences in order, each holding its heads in order.
    func probabilityOffset(batch: TokenBatch, sequence: Int, head: Int) -> Int {
        let earlier = (0..<sequence).reduce(0) { $0 + batch.rows(ofSequence: $1).count * batch.rows(ofSequence: $1).count }
        let length = batch.rows(ofSequence: sequence).count
        return heads * earlier + head * length * length
    }
}
