import COpenBLAS

/// Causal grouped-query self-attention over a `TokenBatch`, one sequence and query head
/// at a time. Query head `i` reads key/value head `i / (heads / kvHeads)`. A sequence's
/// new rows follow `past` earlier positions whose keys and values its `AttentionSpan`
/// holds (0 for whole sequences, the cached length when decoding), so row `r` of it
/// sees keys `0 ... past + r`.
///
/// Queries go in blocks of `blockRows`: a block's scores against the keys up to its last
/// row are one matrix product, masked and soft-maxed row by row (rows in parallel), then
/// multiplied into the values by a second product, so causal masking skips most of the
/// upper triangle and no score matrix larger than `blockRows × keys` exists. A sequence
/// with a single new row (a decode step) sees every key, so all query heads of one
/// key/value group go through the products together.
struct CausalAttention {
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    static let blockRows = 64

    /// Whole sequences whose keys and values are the pass's own: `k` and `v` are
    /// `[rows, kvHeads·headDim]` beside `q`. See the other `run` for `probabilities`.
    func run(
        batch: TokenBatch, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
        output: UnsafeMutablePointer<Float>, probabilities: UnsafeMutablePointer<Float>? = nil
    ) {
        let keyWidth = kvHeads * headDim
        let spans = (0..<batch.sequenceCount).map { s in
            AttentionSpan(keys: k + batch.offsets[s] * keyWidth, values: v + batch.offsets[s] * keyWidth, past: 0)
        }
        run(batch: batch, spans: spans, q: q, output: output, probabilities: probabilities)
    }

    /// `q` is `[rows, heads·headDim]`, already rotated; `spans[s]` holds the keys and
    /// values of batch sequence `s` (only the first `spans.count` sequences run). Writes
    /// the concatenated head outputs to `output` (`[rows, heads·headDim]`).
    /// When `probabilities` is given (training keeps them for the backward pass; whole
    /// sequences only, `past` 0), the soft-maxed scores of every sequence and query head
    /// are copied there as a full `length × length` matrix, zero above the diagonal, at
    /// `probabilityOffset(batch:sequence:head:)`.
    func run(batch: TokenBatch, spans: [AttentionSpan], q: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
             probabilities: UnsafeMutablePointer<Float>? = nil) {
        let group = heads / kvHeads
        var longestBlock = 0
        var mostKeys = 0
        for s in spans.indices {
            let rows = batch.rows(ofSequence: s).count
            longestBlock = max(longestBlock, rows == 1 ? group : min(Self.blockRows, rows), 1)
            mostKeys = max(mostKeys, spans[s].past + rows)
        }
        guard mostKeys > 0 else { return }
        var scores = [Float](repeating: 0, count: longestBlock * mostKeys)
        scores.withUnsafeMutableBufferPointer { scoreBuffer in
            for s in spans.indices {
                let rows = batch.rows(ofSequence: s)
                if rows.count == 1 && probabilities == nil {
                    attendSingleRow(row: rows.lowerBound, span: spans[s], q: q, output: output, scores: scoreBuffer.baseAddress!)
                } else {
                    precondition(probabilities == nil || spans[s].past == 0, "probabilities are kept for whole sequences only")
                    let kept = probabilities.map { $0 + probabilityOffset(batch: batch, sequence: s, head: 0) }
                    attendBlocks(rows: rows, span: spans[s], q: q, output: output, scores: scoreBuffer.baseAddress!, kept: kept)
                }
            }
        }
    }

    /// `kept`: where this sequence's probabilities go (its heads in order), or nil.
    private func attendBlocks(
        rows: Range<Int>, span: AttentionSpan, q: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        scores s: UnsafeMutablePointer<Float>, kept: UnsafeMutablePointer<Float>?
    ) {
        let queryWidth = heads * headDim
        let keyWidth = kvHeads * headDim
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        let past = span.past
        for head in 0..<heads {
            let kvHead = head / group
            let qHead = q + rows.lowerBound * queryWidth + head * headDim
            let kHead = span.keys + kvHead * headDim
            let vHead = span.values + kvHead * headDim
            let outHead = output + rows.lowerBound * queryWidth + head * headDim
            let keptHead = kept.map { $0 + head * rows.count * rows.count }
            var first = 0
            while first < rows.count {
                let blockCount = min(Self.blockRows, rows.count - first)
                let keys = past + first + blockCount
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans,
                    Int32(blockCount), Int32(keys), Int32(headDim),
                    scale, qHead + first * queryWidth, Int32(queryWidth),
                    kHead, Int32(keyWidth), 0, s, Int32(keys))
                ParallelLoop.run(count: blockCount) { i in
                    let row = s + i * keys
                    let visible = past + first + i + 1
                    ElementWise.softmax(row, count: visible)
                    for j in visible..<keys { row[j] = 0 }
                    if let keptHead {
                        let destination = keptHead + (first + i) * rows.count
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

    /// One new row: the `group` query heads of a key/value head are consecutive in the
    /// row, so they form a `[group, headDim]` matrix against the same keys.
    private func attendSingleRow(
        row: Int, span: AttentionSpan, q: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        scores s: UnsafeMutablePointer<Float>
    ) {
        let queryWidth = heads * headDim
        let keyWidth = kvHeads * headDim
        let group = heads / kvHeads
        let scale = 1 / Float(headDim).squareRoot()
        let keys = span.past + 1
        for kvHead in 0..<kvHeads {
            let qGroup = q + row * queryWidth + kvHead * group * headDim
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans,
                Int32(group), Int32(keys), Int32(headDim),
                scale, qGroup, Int32(headDim),
                span.keys + kvHead * headDim, Int32(keyWidth), 0, s, Int32(keys))
            for i in 0..<group { ElementWise.softmax(s + i * keys, count: keys) }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans,
                Int32(group), Int32(headDim), Int32(keys),
                1, s, Int32(keys), span.values + kvHead * headDim, Int32(keyWidth),
                0, output + row * queryWidth + kvHead * group * headDim, Int32(headDim))
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
